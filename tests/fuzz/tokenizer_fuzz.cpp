// libFuzzer harness: BERT text normalisation and WordPiece on arbitrary bytes (data/unicode.hpp,
// data/basic_tokenizer.hpp, data/tokenizer.hpp). None of these may throw on any byte string.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "data/basic_tokenizer.hpp"
#include "data/tokenizer.hpp"
#include "data/unicode.hpp"

namespace {

const cagcl::data::Tokenizer& tokenizer() {
  // Specials, whole words, "##" continuations, punctuation and a CJK ideograph, so that every branch of the
  // greedy longest match is reachable.
  static const cagcl::data::Tokenizer t({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",       "the",      "lung", "##s",
                                         "##ing", "a",     "b",     "##a",   "##b",          "##ab",     "e",    "##e",
                                         ".",     ",",     "-",     "ct",    "\xE4\xB8\xAD", "\xCE\xB1", "",     "i"});
  return t;
}

// Valid UTF-8 re-encodes to itself; an invalid byte would come back as U+FFFD's three bytes.
bool is_valid_utf8(const std::string& s) {
  using namespace cagcl::data::unicode;
  const std::u32string cps = decode_utf8(s);
  return encode_utf8(cps) == s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace unicode = cagcl::data::unicode;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const std::u32string cps = unicode::decode_utf8(text);
    if (cps.size() > text.size() || unicode::decode_utf8(unicode::encode_utf8(cps)) != cps) std::abort();
    for (const std::string& word : cagcl::data::basic_tokenize(text)) {
      if (word.empty() || !is_valid_utf8(word)) std::abort();
    }
    const auto& t = tokenizer();
    const auto encoded = t.encode_padded(text, 16);
    if (encoded.ids.size() != 16 || encoded.mask.size() != 16 || encoded.ids[0] != t.cls_id()) std::abort();
    for (int64_t id : encoded.ids) {
      if (id < 0 || id >= t.vocab_size()) std::abort();
    }
  } catch (const cagcl::Error&) {
  }
  return 0;
}
