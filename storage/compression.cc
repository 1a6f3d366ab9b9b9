#include "storage/compression.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <memory>

#include "base/byte_order.h"
#include "storage/crc32c.h"
#include "storage/record_batch.h"

namespace rill::storage {
namespace {

// Java clients' snappy framing (xerial snappy-java): magic, version and
// compatible version, then blocks of [int32 BE length][raw snappy].
constexpr uint8_t k_xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t k_xerial_header_bytes = 16;

result<std::vector<uint8_t>, codec_errc> gzip_inflate(std::span<const uint8_t> in,
                                                      size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return codec_errc::corrupt;  // gzip or zlib
  std::vector<uint8_t> out(std::min<size_t>(max_bytes, std::max<size_t>(in.size() * 4, 4096)));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.total_out == out.size()) {
      if (out.size() >= max_bytes) {
        inflateEnd(&zs);
        return codec_errc::too_large;
      }
      out.resize(std::min(max_bytes, out.size() * 2));
    }
    zs.next_out = out.data() + zs.total_out;
    zs.avail_out = static_cast<uInt>(out.size() - zs.total_out);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated input
  }
  size_t n = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return codec_errc::corrupt;
  out.resize(n);
  return out;
}

result<std::vector<uint8_t>, codec_errc> gzip_deflate(std::span<const uint8_t> in) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return codec_errc::corrupt;
  }
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t n = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return codec_errc::corrupt;
  out.resize(n);
  return out;
}

result<std::vector<uint8_t>, codec_errc> snappy_block(std::span<const uint8_t> in, size_t max_bytes,
                                                      std::vector<uint8_t>* out) {
  size_t n = 0;
  auto* src = reinterpret_cast<const char*>(in.data());
  if (snappy_uncompressed_length(src, in.size(), &n) != SNAPPY_OK) return codec_errc::corrupt;
  if (out->size() + n > max_bytes) return codec_errc::too_large;
  size_t at = out->size();
  out->resize(at + n);
  if (snappy_uncompress(src, in.size(), reinterpret_cast<char*>(out->data() + at), &n) !=
      SNAPPY_OK) {
    return codec_errc::corrupt;
  }
  return std::vector<uint8_t>{};
}

result<std::vector<uint8_t>, codec_errc> snappy_inflate(std::span<const uint8_t> in,
                                                        size_t max_bytes) {
  std::vector<uint8_t> out;
  if (in.size() >= k_xerial_header_bytes && std::memcmp(in.data(), k_xerial_magic, 8) == 0) {
    size_t at = k_xerial_header_bytes;
    while (at < in.size()) {
      if (in.size() - at < 4) return codec_errc::corrupt;
      uint32_t len = load_be32(in.data() + at);
      at += 4;
      if (len > in.size() - at) return codec_errc::corrupt;
      auto r = snappy_block(in.subspan(at, len), max_bytes, &out);
      if (!r.ok()) return r.error();
      at += len;
    }
    return out;
  }
  auto r = snappy_block(in, max_bytes, &out);
  if (!r.ok()) return r.error();
  return out;
}

result<std::vector<uint8_t>, codec_errc> lz4_inflate(std::span<const uint8_t> in,
                                                     size_t max_bytes) {
  LZ4F_dctx* dctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
    return codec_errc::corrupt;
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> guard(
      dctx, LZ4F_freeDecompressionContext);
  std::vector<uint8_t> out(std::min<size_t>(max_bytes, std::max<size_t>(in.size() * 4, 4096)));
  size_t in_at = 0;
  size_t out_at = 0;
  size_t hint = 1;
  while (in_at < in.size() && hint != 0) {
    if (out_at == out.size()) {
      if (out.size() >= max_bytes) return codec_errc::too_large;
      out.resize(std::min(max_bytes, out.size() * 2));
    }
    size_t out_n = out.size() - out_at;
    size_t in_n = in.size() - in_at;
    hint = LZ4F_decompress(dctx, out.data() + out_at, &out_n, in.data() + in_at, &in_n, nullptr);
    if (LZ4F_isError(hint)) return codec_errc::corrupt;
    in_at += in_n;
    out_at += out_n;
  }
  if (hint != 0) return codec_errc::corrupt;  // the frame did not end
  out.resize(out_at);
  return out;
}

result<std::vector<uint8_t>, codec_errc> lz4_deflate(std::span<const uint8_t> in) {
  std::vector<uint8_t> out(LZ4F_compressFrameBound(in.size(), nullptr));
  size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), nullptr);
  if (LZ4F_isError(n)) return codec_errc::corrupt;
  out.resize(n);
  return out;
}

result<std::vector<uint8_t>, codec_errc> zstd_inflate(std::span<const uint8_t> in,
                                                      size_t max_bytes) {
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> ds(ZSTD_createDStream(),
                                                                ZSTD_freeDStream);
  if (ds == nullptr || ZSTD_isError(ZSTD_initDStream(ds.get()))) return codec_errc::corrupt;
  std::vector<uint8_t> out(std::min<size_t>(max_bytes, std::max<size_t>(in.size() * 4, 4096)));
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  ZSTD_outBuffer output{out.data(), out.size(), 0};
  for (;;) {
    if (output.pos == output.size) {
      if (out.size() >= max_bytes) return codec_errc::too_large;
      out.resize(std::min(max_bytes, out.size() * 2));
      output.dst = out.data();
      output.size = out.size();
    }
    size_t rc = ZSTD_decompressStream(ds.get(), &output, &input);
    if (ZSTD_isError(rc)) return codec_errc::corrupt;
    bool input_done = input.pos == input.size;
    if (rc == 0 && input_done) break;  // the (last) frame is complete
    if (rc != 0 && input_done && output.pos < output.size) return codec_errc::corrupt;  // cut
  }
  out.resize(output.pos);
  return out;
}

result<std::vector<uint8_t>, codec_errc> zstd_deflate(std::span<const uint8_t> in) {
  std::vector<uint8_t> out(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  if (ZSTD_isError(n)) return codec_errc::corrupt;
  out.resize(n);
  return out;
}

}  // namespace

const char* codec_name(codec c) {
  switch (c) {
    case codec::none:
      return "none";
    case codec::gzip:
      return "gzip";
    case codec::snappy:
      return "snappy";
    case codec::lz4:
      return "lz4";
    case codec::zstd:
      return "zstd";
  }
  return "?";
}

const char* codec_errc_name(codec_errc e) {
  switch (e) {
    case codec_errc::ok:
      return "ok";
    case codec_errc::unknown_codec:
      return "unknown codec";
    case codec_errc::corrupt:
      return "corrupt compressed data";
    case codec_errc::too_large:
      return "inflates past its bound";
  }
  return "?";
}

result<std::vector<uint8_t>, codec_errc> decompress(codec c, std::span<const uint8_t> in,
                                                    size_t max_bytes) {
  switch (c) {
    case codec::none:
      if (in.size() > max_bytes) return codec_errc::too_large;
      return std::vector<uint8_t>(in.begin(), in.end());
    case codec::gzip:
      return gzip_inflate(in, max_bytes);
    case codec::snappy:
      return snappy_inflate(in, max_bytes);
    case codec::lz4:
      return lz4_inflate(in, max_bytes);
    case codec::zstd:
      return zstd_inflate(in, max_bytes);
  }
  return codec_errc::unknown_codec;
}

result<std::vector<uint8_t>, codec_errc> compress(codec c, std::span<const uint8_t> in) {
  switch (c) {
    case codec::none:
      return std::vector<uint8_t>(in.begin(), in.end());
    case codec::gzip:
      return gzip_deflate(in);
    case codec::snappy: {
      // Raw snappy: what librdkafka writes; Java clients read it too.
      size_t n = snappy_max_compressed_length(in.size());
      std::vector<uint8_t> out(n);
      if (snappy_compress(reinterpret_cast<const char*>(in.data()), in.size(),
                          reinterpret_cast<char*>(out.data()), &n) != SNAPPY_OK) {
        return codec_errc::corrupt;
      }
      out.resize(n);
      return out;
    }
    case codec::lz4:
      return lz4_deflate(in);
    case codec::zstd:
      return zstd_deflate(in);
  }
  return codec_errc::unknown_codec;
}

std::optional<std::vector<uint8_t>> inflated_batch(std::span<const uint8_t> batch,
                                                   size_t max_bytes) {
  if (batch.size() < batch_format::header_bytes) return std::nullopt;
  batch_view v(batch.data());
  auto c = static_cast<codec>(v.attributes() & batch_format::compression_mask);
  if (c == codec::none) return std::vector<uint8_t>(batch.begin(), batch.end());
  auto plain = decompress(c, batch.subspan(batch_format::header_bytes), max_bytes);
  if (!plain.ok()) return std::nullopt;
  std::vector<uint8_t> out(batch.begin(), batch.begin() + batch_format::header_bytes);
  out.insert(out.end(), plain.value().begin(), plain.value().end());
  uint16_t attributes = v.attributes() & static_cast<uint16_t>(~batch_format::compression_mask);
  store_be16(out.data() + batch_format::attributes, attributes);
  store_be32(out.data() + batch_format::batch_length,
             static_cast<uint32_t>(out.size() - batch_format::length_prefix_bytes));
  return out;
}

std::optional<std::vector<uint8_t>> recompressed_batch(std::span<const uint8_t> batch, codec target,
                                                       size_t max_bytes) {
  std::optional<std::vector<uint8_t>> plain = inflated_batch(batch, max_bytes);
  if (!plain) return std::nullopt;
  batch_view v(plain->data());
  std::vector<uint8_t> out(plain->begin(), plain->begin() + batch_format::header_bytes);
  if (v.records_count() == 0) target = codec::none;  // a bare header carries no codec
  auto records = compress(target, std::span(*plain).subspan(batch_format::header_bytes));
  if (!records.ok()) return std::nullopt;
  out.insert(out.end(), records.value().begin(), records.value().end());
  uint16_t attributes = static_cast<uint16_t>((v.attributes() & ~batch_format::compression_mask) |
                                              static_cast<uint16_t>(target));
  store_be16(out.data() + batch_format::attributes, attributes);
  store_be32(out.data() + batch_format::batch_length,
             static_cast<uint32_t>(out.size() - batch_format::length_prefix_bytes));
  store_be32(out.data() + batch_format::crc, crc32c({out.data() + batch_format::attributes,
                                                     out.size() - batch_format::attributes}));
  return out;
}

bool parse_compression_type(const std::string& name, std::optional<codec>* out) {
  if (name == "producer") {
    out->reset();
  } else if (name == "uncompressed") {
    *out = codec::none;
  } else if (name == "gzip") {
    *out = codec::gzip;
  } else if (name == "snappy") {
    *out = codec::snappy;
  } else if (name == "lz4") {
    *out = codec::lz4;
  } else if (name == "zstd") {
    *out = codec::zstd;
  } else {
    return false;
  }
  return true;
}

}  // namespace rill::storage
