// Synchronous metadata operations on a real file system, shared by the
// io_uring and the POSIX file_io implementations.
#pragma once

#include <string>
#include <vector>

#include "storage/file_io.h"

namespace rill::storage::posix_metadata {

result<uint64_t, io_errc> file_size(int fd);
io_errc remove(const std::string& path);
io_errc remove_tree(const std::string& path);
io_errc rename(const std::string& from, const std::string& to);
io_errc make_dirs(const std::string& path);
result<std::vector<std::string>, io_errc> list_dir(const std::string& path);
io_errc sync_dir(const std::string& path);
bool exists(const std::string& path);
int open_flags(open_mode mode, direct_io direct);

}  // namespace rill::storage::posix_metadata
