// JSON text to a token tape through nlohmann's SAX interface; see json_tape.h.
#include "dicom/json_tape.h"

#include <exception>
#include <nlohmann/json.hpp>

namespace bastion::dicom::json_internal {
namespace {

// Builds the token tape from SAX events, enforcing nesting and value-count limits.
class TapeBuilder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  TapeBuilder(std::uint64_t max_tokens, std::size_t max_nesting, std::size_t input_size)
      : max_tokens_(max_tokens), max_nesting_(max_nesting) {
    pool_.reserve(input_size);
  }

  bool null() override { return Push(JsonToken{}); }
  bool boolean(bool value) override {
    JsonToken token;
    token.kind = JsonKind::kBool;
    token.boolean = value;
    return Push(token);
  }
  bool number_integer(number_integer_t value) override {
    JsonToken token;
    token.kind = JsonKind::kInteger;
    token.number.i = value;
    return Push(token);
  }
  bool number_unsigned(number_unsigned_t value) override {
    JsonToken token;
    token.kind = JsonKind::kUnsigned;
    token.number.u = value;
    return Push(token);
  }
  bool number_float(number_float_t value, const string_t& text) override {
    JsonToken token;
    token.kind = JsonKind::kFloat;
    token.number.d = value;
    return PushText(token, text);
  }
  bool string(string_t& value) override {
    JsonToken token;
    token.kind = JsonKind::kString;
    return PushText(token, value);
  }
  bool binary(binary_t& /*value*/) override {
    status_ = Status::Malformed("binary values are not JSON");
    return false;
  }
  bool start_object(std::size_t /*elements*/) override { return Open(JsonKind::kObject); }
  bool key(string_t& value) override {
    JsonToken token;
    token.kind = JsonKind::kKey;
    return PushText(token, value);
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t /*elements*/) override { return Open(JsonKind::kArray); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::json::exception& error) override {
    std::string what = error.what();
    if (what.size() > 200) what = what.substr(0, 200) + "...";
    status_ = Status::Malformed("invalid JSON at byte " + std::to_string(position) + ": " + what);
    return false;
  }

  const Status& status() const { return status_; }
  JsonTape Take() && { return JsonTape{std::move(tokens_), std::move(pool_)}; }

 private:
  bool Push(const JsonToken& token) {
    if (tokens_.size() >= max_tokens_) {
      status_ =
          Status::LimitExceeded("JSON has more than " + std::to_string(max_tokens_) + " values");
      return false;
    }
    tokens_.push_back(token);
    return true;
  }
  bool PushText(JsonToken token, const std::string& text) {
    // The pool never outgrows the input, which is at most 4 GiB.
    token.text = static_cast<std::uint32_t>(pool_.size());
    token.size = static_cast<std::uint32_t>(text.size());
    pool_ += text;
    return Push(token);
  }
  bool Open(JsonKind kind) {
    if (open_.size() >= max_nesting_) {
      status_ = Status::LimitExceeded("JSON nested deeper than " + std::to_string(max_nesting_) +
                                      " levels");
      return false;
    }
    JsonToken token;
    token.kind = kind;
    if (!Push(token)) return false;
    open_.push_back(static_cast<std::uint32_t>(tokens_.size() - 1));
    return true;
  }
  bool Close() {
    tokens_[open_.back()].end = static_cast<std::uint32_t>(tokens_.size());
    open_.pop_back();
    return true;
  }

  std::uint64_t max_tokens_;
  std::size_t max_nesting_;
  std::vector<JsonToken> tokens_;
  std::vector<std::uint32_t> open_;
  std::string pool_;
  Status status_;
};

}  // namespace

Result<JsonTape> ParseJsonTape(std::string_view json, std::uint64_t max_tokens,
                               std::size_t max_nesting) {
  // The one boundary with third-party code: nlohmann reports errors through the SAX handler,
  // but a surprise (or an allocation failure) must still become an error value.
  try {
    TapeBuilder tape(max_tokens, max_nesting, json.size());
    const bool parsed = nlohmann::json::sax_parse(json.begin(), json.end(), &tape,
                                                  nlohmann::json::input_format_t::json,
                                                  /*strict=*/true, /*ignore_comments=*/false);
    if (!parsed) {
      if (!tape.status().ok()) return tape.status();
      return Status::Malformed("invalid JSON");
    }
    return std::move(tape).Take();
  } catch (const nlohmann::json::exception& e) {
    return Status::Malformed(std::string("invalid JSON: ") + e.what());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("JSON parsing failed: ") + e.what());
  } catch (...) {
    return Status::Internal("JSON parsing failed");
  }
}

}  // namespace bastion::dicom::json_internal
