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
// description. Used by the group APIs (messages/group.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/wire.h"
#include "dataplane/kafka/request_header.h"

namespace rill::kafka {

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
  void string(std::string& v) { v = in_->string(flexible_); }
  void nullable_string(std::optional<std::string>& v) { v = in_->nullable_string(flexible_); }
  // Bytes are kept as std::string: the group APIs only pass them through.
  void bytes(std::string& v) {
    auto b = in_->nullable_bytes(flexible_);
    v = b ? std::string(reinterpret_cast<const char*>(b->data()), b->size()) : std::string();
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
  // The end of a structure: its tagged fields (none are understood here).
  void tagged_fields() {
    if (flexible_) in_->skip_tagged_fields();
  }

 private:
  wire_reader* in_;
  int16_t version_;
  bool flexible_;
};

class field_writer {
 public:
  field_writer(wire_writer& out, int16_t version, bool flexible)
      : out_(&out), version_(version), flexible_(flexible) {}
  static constexpr bool reading = false;
  int16_t version() const { return version_; }
  bool flexible() const { return flexible_; }
  bool ok() const { return true; }

  void i8(const int8_t& v) { out_->i8(v); }
  void i16(const int16_t& v) { out_->i16(v); }
  void i32(const int32_t& v) { out_->i32(v); }
  void i64(const int64_t& v) { out_->i64(v); }
  void boolean(const bool& v) { out_->boolean(v); }
  void string(const std::string& v) { out_->string(v, flexible_); }
  void nullable_string(const std::optional<std::string>& v) { out_->nullable_string(v, flexible_); }
  void bytes(const std::string& v) {
    out_->bytes_length(static_cast<int32_t>(v.size()), flexible_);
    out_->raw({reinterpret_cast<const uint8_t*>(v.data()), v.size()});
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
  void tagged_fields() { out_->empty_tagged_fields(flexible_); }

 private:
  wire_writer* out_;
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

}  // namespace rill::kafka
