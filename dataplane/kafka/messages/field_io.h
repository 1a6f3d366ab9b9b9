// field_io: one description of a message drives both directions.
//
// A message type M has a function template
//
//   template <typename IO, typename M> void describe(IO& io, M& m);
//
// that names each field once, in wire order, guarded by the versions that
// carry it (transcribed from Kafka's message schemas, e.g.
// `if (io.version() >= 5) io.nullable_string(m.group_instance_id);`).
// field_reader fills the struct from the wire; field_writer writes it. The
// io knows the version and whether it is flexible, so the compact and
// classic encodings and the tagged-field sections follow from the one
// description. Every API Rill serves is described this way.
//
// Tagged fields a message knows are listed at the end of its structure:
//
//   io.tagged_fields(tagged(0, m.epoch >= 0, [&](auto& io) { io.i32(m.epoch); ... }));
//
// The writer writes the present ones (tag, size, body); the reader calls
// the body of each known tag it meets and skips the others.
//
// Record data has its own field: the reader keeps a view into the frame (or
// a copy, for Produce, whose batches outlive the frame), and a writer that
// writes into a response_buffer sends large log slices from the log's own
// buffers instead of copying them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/wire.h"
#include "dataplane/kafka/protocol.h"
#include "dataplane/kafka/request_header.h"
#include "dataplane/kafka/response_buffer.h"
#include "storage/partition_log.h"

namespace rill::kafka {

// One known tagged field: its tag, whether a writer writes it, and its body.
template <typename Body>
struct tagged_field {
  uint32_t tag;
  bool present;
  Body body;
};
template <typename Body>
tagged_field<Body> tagged(uint32_t tag, bool present, Body body) {
  return {tag, present, std::move(body)};
}

// Record slices smaller than this are copied into a response; larger ones
// are sent from the log's buffers.
constexpr size_t k_zero_copy_slice_bytes_min = 16 * 1024;

class field_reader {
 public:
  field_reader(wire_reader& in, int16_t version, bool flexible)
      : in_(&in), version_(version), flexible_(flexible) {}
  static constexpr bool reading = true;
  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }
  bool ok() const { return in_->ok(); }

  void i8(int8_t& v) { v = in_->i8(); }
  void i16(int16_t& v) { v = in_->i16(); }
  void i32(int32_t& v) { v = in_->i32(); }
  void i64(int64_t& v) { v = in_->i64(); }
  void boolean(bool& v) { v = in_->boolean(); }
  void error(error_code& v) { v = static_cast<error_code>(in_->i16()); }
  void uuid(std::array<uint8_t, 16>& v) { v = in_->uuid(); }
  void string(std::string& v) { v = in_->string(flexible_); }
  void nullable_string(std::optional<std::string>& v) { v = in_->nullable_string(flexible_); }
  // Bytes are kept as std::string: the group APIs only pass them through.
  void bytes(std::string& v) {
    auto b = in_->nullable_bytes(flexible_);
    v = b ? std::string(reinterpret_cast<const char*>(b->data()), b->size()) : std::string();
  }
  // Records as a view into the frame (null reads as empty).
  void records(std::span<const uint8_t>& v) {
    auto b = in_->nullable_bytes(flexible_);
    v = b ? *b : std::span<const uint8_t>();
  }
  // Records copied out of the frame (null reads as nullptr).
  void records(std::shared_ptr<std::vector<uint8_t>>& v) {
    auto b = in_->nullable_bytes(flexible_);
    v = b ? std::make_shared<std::vector<uint8_t>>(b->begin(), b->end()) : nullptr;
  }
  template <typename T, typename Each>
  void array(std::vector<T>& v, Each each) {
    int32_t n = in_->array_length(flexible_);
    v.clear();
    for (int32_t i = 0; i < n && in_->ok(); ++i) each(*this, v.emplace_back());
  }
  // A null array reads as nullopt.
  template <typename T, typename Each>
  void nullable_array(std::optional<std::vector<T>>& v, Each each) {
    int32_t n = in_->array_length(flexible_);
    if (n < 0) {
      v.reset();
      return;
    }
    v.emplace();
    for (int32_t i = 0; i < n && in_->ok(); ++i) each(*this, v->emplace_back());
  }
  void int32_array(std::vector<int32_t>& v) {
    array(v, [](field_reader& io, int32_t& x) { io.i32(x); });
  }
  void string_array(std::vector<std::string>& v) {
    array(v, [](field_reader& io, std::string& x) { io.string(x); });
  }
  // The end of a structure: its tagged fields; known ones are read, the
  // rest skipped. A known field whose body does not fill its declared
  // size exactly fails the reader.
  template <typename... Body>
  void tagged_fields(tagged_field<Body>... known) {
    if (!flexible_) return;
    uint32_t count = in_->uvarint();
    for (uint32_t i = 0; i < count && in_->ok(); ++i) {
      uint32_t tag = in_->uvarint();
      uint32_t size = in_->uvarint();
      bool matched = (read_if(tag, size, known) || ...);
      if (!matched) (void)in_->take(size);
    }
  }

 private:
  template <typename Body>
  bool read_if(uint32_t tag, uint32_t size, tagged_field<Body>& f) {
    if (f.tag != tag) return false;
    size_t before = in_->position();
    f.body(*this);
    if (in_->ok() && in_->position() - before != size) in_->fail();
    return true;
  }

  wire_reader* in_;
  int16_t version_;
  bool flexible_;
};

class field_writer {
 public:
  field_writer(wire_writer& out, int16_t version, bool flexible)
      : out_(&out), version_(version), flexible_(flexible) {}
  // Writes into a response; large record slices are borrowed, not copied.
  field_writer(response_buffer& out, int16_t version, bool flexible)
      : out_(&out.writer()), sink_(&out), version_(version), flexible_(flexible) {}
  static constexpr bool reading = false;
  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }
  bool ok() const { return true; }

  void i8(const int8_t& v) { out_->i8(v); }
  void i16(const int16_t& v) { out_->i16(v); }
  void i32(const int32_t& v) { out_->i32(v); }
  void i64(const int64_t& v) { out_->i64(v); }
  void boolean(const bool& v) { out_->boolean(v); }
  void error(const error_code& v) { out_->i16(static_cast<int16_t>(v)); }
  void uuid(const std::array<uint8_t, 16>& v) { out_->uuid(v); }
  void string(const std::string& v) { out_->string(v, flexible_); }
  void nullable_string(const std::optional<std::string>& v) { out_->nullable_string(v, flexible_); }
  void bytes(const std::string& v) {
    out_->bytes_length(static_cast<int32_t>(v.size()), flexible_);
    out_->raw({reinterpret_cast<const uint8_t*>(v.data()), v.size()});
  }
  void records(const std::span<const uint8_t>& v) {
    out_->bytes_length(static_cast<int32_t>(v.size()), flexible_);
    out_->raw(v);
  }
  void records(const std::shared_ptr<std::vector<uint8_t>>& v) {
    if (v == nullptr) {
      out_->bytes_length(-1, flexible_);
      return;
    }
    records(std::span<const uint8_t>(*v));
  }
  // Log slices: borrowed when writing a response and large enough.
  void records(const storage::read_result& v) {
    out_->bytes_length(static_cast<int32_t>(v.bytes), flexible_);
    for (const storage::batch_slice& s : v.slices) {
      if (sink_ != nullptr && s.bytes.size() >= k_zero_copy_slice_bytes_min) {
        sink_->borrow(s.owner, s.bytes);
      } else {
        out_->raw(s.bytes);
      }
    }
  }
  template <typename T, typename Each>
  void array(const std::vector<T>& v, Each each) {
    out_->array_length(static_cast<int32_t>(v.size()), flexible_);
    for (const T& x : v) each(*this, x);
  }
  template <typename T, typename Each>
  void nullable_array(const std::optional<std::vector<T>>& v, Each each) {
    if (!v) {
      out_->array_length(-1, flexible_);
      return;
    }
    array(*v, each);
  }
  void int32_array(const std::vector<int32_t>& v) {
    array(v, [](field_writer& io, const int32_t& x) { io.i32(x); });
  }
  void string_array(const std::vector<std::string>& v) {
    array(v, [](field_writer& io, const std::string& x) { io.string(x); });
  }
  // Writes the present tagged fields, each as tag, size and body.
  template <typename... Body>
  void tagged_fields(const tagged_field<Body>&... known) {
    if (!flexible_) return;
    out_->uvarint(static_cast<uint32_t>((0 + ... + (known.present ? 1 : 0))));
    (write_if(known), ...);
  }

 private:
  template <typename Body>
  void write_if(const tagged_field<Body>& f) {
    if (!f.present) return;
    wire_writer body;
    field_writer io(body, version_, flexible_);
    f.body(io);
    out_->uvarint(f.tag);
    out_->uvarint(static_cast<uint32_t>(body.size()));
    out_->raw(body.bytes());
  }

  wire_writer* out_;
  response_buffer* sink_ = nullptr;
  int16_t version_;
  bool flexible_;
};

// Decodes a request body (or, in tests, a response) described by describe().
template <typename M>
bool decode_message(wire_reader& in, const request_header& h, M* out) {
  field_reader io(in, h.version, h.flexible);
  describe(io, *out);
  return in.ok();
}

template <typename M>
void encode_message(wire_writer& out, const request_header& h, const M& m) {
  field_writer io(out, h.version, h.flexible);
  describe(io, m);
}

template <typename M>
void encode_message(response_buffer& out, const request_header& h, const M& m) {
  field_writer io(out, h.version, h.flexible);
  describe(io, m);
}

}  // namespace rill::kafka
