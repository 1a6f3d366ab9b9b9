#include <gtest/gtest.h>

#include <memory>

#include "storage/faulty_file_io.h"
#include "storage/memory_file_io.h"
#include "storage/posix_file_io.h"
#include "storage/testing/file_io_contract.h"

namespace rill::storage {
namespace {

using testing::contract_case;
using testing::file_io_contract_cases;

enum class impl { memory, faulty, posix };

struct param {
  impl which;
  size_t case_index;
};

class file_io_contract : public ::testing::TestWithParam<param> {};

TEST_P(file_io_contract, holds) {
  const contract_case& c = file_io_contract_cases()[GetParam().case_index];
  testing::scratch_dir scratch;
  memory_file_io memory;
  faulty_file_io faulty(&memory);
  posix_file_io posix;
  file_io* io = nullptr;
  std::string dir = scratch.path();
  switch (GetParam().which) {
    case impl::memory:
      io = &memory;
      break;
    case impl::faulty:
      io = &faulty;
      break;
    case impl::posix:
      io = &posix;
      break;
  }
  ASSERT_EQ(io->make_dirs(dir), io_errc::ok);
  ASSERT_TRUE(testing::run_to_completion(c.body(*io, dir))) << c.name << " suspended";
}

std::vector<param> all_params() {
  std::vector<param> out;
  for (impl i : {impl::memory, impl::faulty, impl::posix}) {
    for (size_t c = 0; c < file_io_contract_cases().size(); ++c) out.push_back({i, c});
  }
  return out;
}

std::string param_name(const ::testing::TestParamInfo<param>& info) {
  static const char* const names[] = {"memory", "faulty", "posix"};
  return std::string(names[static_cast<int>(info.param.which)]) + "_" +
         file_io_contract_cases()[info.param.case_index].name;
}

INSTANTIATE_TEST_SUITE_P(all, file_io_contract, ::testing::ValuesIn(all_params()), param_name);

}  // namespace
}  // namespace rill::storage
