// WordPiece tokenizer. Expected pieces are what HuggingFace's BertTokenizer(vocab, do_lower_case=True)
// gives for the same vocabulary, worked out by its algorithm (BasicTokenizer, then greedy longest-match
// WordPiece) and written next to each case.
#include "data/tokenizer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"

namespace cagcl::data {
namespace {

using Pieces = std::vector<std::string>;

// ids 0..4 are the specials, as in BERT's own vocab (where [PAD] = 0).
const std::vector<std::string>& test_vocab() {
  static const std::vector<std::string> vocab = {
      "[PAD]",   "[UNK]",    "[CLS]",  "[SEP]",   "[MASK]",                            // 0-4
      "pleural", "effusion", ".",      ",",       "-",         "3",    "5",   "mm",    // 5-12
      "peri",    "##b",      "##bron", "##chial", "bronchial", "cafe",                 // 13-18
      "naive",   "un",       "##aff",  "##able",  "a",         "##a",  "the", "lung",  // 19-26
      "—",       "“",        "”",      "(",       ")",         "##ø"};                 // 27-32
  return vocab;
}

const Tokenizer& tokenizer() {
  static const Tokenizer t(test_vocab());
  return t;
}

class TokenizerFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cagcl_tokenizer_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& content) {
    const auto path = dir_ / "vocab.txt";
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::filesystem::path dir_;
};

// Runs `f`, expects exception E whose message contains every one of `needles`.
template <typename E, typename F>
void expect_error(F f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Tokenizer, SplitsPunctuationOffWords) {
  // HF: ['pleural', 'effusion', '.']
  EXPECT_EQ(tokenizer().tokenize("Pleural effusion."), (Pieces{"pleural", "effusion", "."}));
  // HF: ['effusion', ',', 'effusion']
  EXPECT_EQ(tokenizer().tokenize("effusion,effusion"), (Pieces{"effusion", ",", "effusion"}));
}

TEST(Tokenizer, DigitsAndDecimalPointsAreSeparateTokens) {
  // HF: ['3', '.', '5', 'mm']
  EXPECT_EQ(tokenizer().tokenize("3.5 mm"), (Pieces{"3", ".", "5", "mm"}));
}

TEST(Tokenizer, HyphenSplitsAWord) {
  // HF: ['peri', '-', 'bronchial']
  EXPECT_EQ(tokenizer().tokenize("Peri-bronchial"), (Pieces{"peri", "-", "bronchial"}));
}

TEST(Tokenizer, LowerCasesAndStripsAccents) {
  // HF: ['cafe', 'naive'] (NFD of é / ï, combining marks dropped)
  EXPECT_EQ(tokenizer().tokenize("Café Naïve"), (Pieces{"cafe", "naive"}));
  EXPECT_EQ(tokenizer().tokenize("CAFÉ NAÏVE"), (Pieces{"cafe", "naive"}));
  // Already decomposed input: e + U+0301.
  EXPECT_EQ(tokenizer().tokenize("cafe\xcc\x81"), (Pieces{"cafe"}));
}

TEST(Tokenizer, GreedyLongestMatchWithContinuationPieces) {
  // HF: ['peri', '##bron', '##chial'] -- "##bron" is preferred over the shorter "##b".
  EXPECT_EQ(tokenizer().tokenize("peribronchial"), (Pieces{"peri", "##bron", "##chial"}));
  // The HF docs' example: ['un', '##aff', '##able']
  EXPECT_EQ(tokenizer().tokenize("unaffable"), (Pieces{"un", "##aff", "##able"}));
}

TEST(Tokenizer, AWordWithAnUnmatchedRemainderIsOneUnk) {
  // HF: ['[UNK]'] for the whole word, not ['peri', '##bron', '##chial', '[UNK]'].
  EXPECT_EQ(tokenizer().tokenize("peribronchialx lung"), (Pieces{"[UNK]", "lung"}));
  EXPECT_EQ(tokenizer().tokenize("xyz."), (Pieces{"[UNK]", "."}));
  EXPECT_EQ(tokenizer().ids("xyz."), (std::vector<int64_t>{1, 7}));
}

TEST(Tokenizer, WordsOverOneHundredCharactersAreUnk) {
  // 100 characters: 'a' + 99 x '##a'; 101 characters: ['[UNK]'] (max_input_chars_per_word = 100).
  const Pieces hundred = tokenizer().tokenize(std::string(100, 'a'));
  ASSERT_EQ(hundred.size(), 100u);
  EXPECT_EQ(hundred.front(), "a");
  EXPECT_EQ(hundred.back(), "##a");
  EXPECT_EQ(tokenizer().tokenize(std::string(101, 'a')), (Pieces{"[UNK]"}));
  // Counted in characters, not bytes: 99 x 'a' + 'ø' is 101 bytes but 100 characters. HF: 'a', 98 x '##a', '##ø'.
  const Pieces with_o = tokenizer().tokenize(std::string(99, 'a') + "\xc3\xb8");
  ASSERT_EQ(with_o.size(), 100u);
  EXPECT_EQ(with_o.back(), "##\xc3\xb8");
}

TEST(Tokenizer, UnicodePunctuationIsSplitToo) {
  // HF: ['“', 'lung', '”', '—', 'effusion']
  EXPECT_EQ(tokenizer().tokenize("\xe2\x80\x9clung\xe2\x80\x9d\xe2\x80\x94"
                                 "effusion"),
            (Pieces{"“", "lung", "”", "—", "effusion"}));
}

TEST(Tokenizer, WhitespaceAndControlCharactersAreCleaned) {
  // Tabs, newlines and no-break spaces separate words; NUL, other controls and zero-width spaces vanish.
  EXPECT_EQ(tokenizer().tokenize("\tthe\nlung\xc2\xa0"
                                 "effusion\r"),
            (Pieces{"the", "lung", "effusion"}));
  const std::string with_nul = std::string("lu\x01ng\xe2\x80\x8b") + std::string(1, '\0') + ".";
  EXPECT_EQ(tokenizer().tokenize(with_nul), (Pieces{"lung", "."}));
}

TEST(Tokenizer, InvalidUtf8NeverThrowsAndIsDropped) {
  // Each invalid byte decodes to U+FFFD, which BERT's cleaning removes (as HF does after decoding with
  // errors="replace").
  EXPECT_EQ(tokenizer().tokenize("lu\xffng"), (Pieces{"lung"}));
  EXPECT_EQ(tokenizer().tokenize("lung\xe2\x80"), (Pieces{"lung"}));      // truncated sequence
  EXPECT_EQ(tokenizer().tokenize("\xc0\xaflung"), (Pieces{"lung"}));      // over-long '/'
  EXPECT_EQ(tokenizer().tokenize("lung\xed\xa0\x80"), (Pieces{"lung"}));  // encoded surrogate
  EXPECT_EQ(tokenizer().tokenize("\x80\x80\xbf lung \xf8\x88\x80\x80\x80"), (Pieces{"lung"}));
  // Every single byte value alone, and a long random byte string, must not crash.
  for (int b = 0; b < 256; ++b) (void)tokenizer().encode(std::string(1, static_cast<char>(b)), 8);
  std::string noise;
  uint32_t x = 12345;
  for (int i = 0; i < 5000; ++i) noise += static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
  EXPECT_NO_THROW((void)tokenizer().encode(noise, 512));
}

TEST(Tokenizer, EmptyTextIsClsSep) {
  EXPECT_TRUE(tokenizer().tokenize("").empty());
  EXPECT_EQ(tokenizer().encode("", 16), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(tokenizer().encode(" \t\n ", 16), (std::vector<int64_t>{2, 3}));
}

TEST(Tokenizer, EncodeAddsClsSepAndTruncatesTheEnd) {
  // [CLS] pleural effusion . [SEP]
  EXPECT_EQ(tokenizer().encode("Pleural effusion.", 512), (std::vector<int64_t>{2, 5, 6, 7, 3}));
  EXPECT_EQ(tokenizer().encode("Pleural effusion.", 5), (std::vector<int64_t>{2, 5, 6, 7, 3}));
  EXPECT_EQ(tokenizer().encode("Pleural effusion.", 4), (std::vector<int64_t>{2, 5, 6, 3}));
  EXPECT_EQ(tokenizer().encode("Pleural effusion.", 2), (std::vector<int64_t>{2, 3}));
  expect_error<UsageError>([] { (void)tokenizer().encode("lung", 1); }, {"max_length 1"});
}

TEST(Tokenizer, EncodePaddedPadsToExactlyMaxLengthWithAMask) {
  const auto e = tokenizer().encode_padded("effusion.", 6);
  EXPECT_EQ(e.ids, (std::vector<int64_t>{2, 6, 7, 3, 0, 0}));
  EXPECT_EQ(e.mask, (std::vector<int64_t>{1, 1, 1, 1, 0, 0}));
  const auto cut = tokenizer().encode_padded("the lung the lung", 4);
  EXPECT_EQ(cut.ids, (std::vector<int64_t>{2, 25, 26, 3}));
  EXPECT_EQ(cut.mask, (std::vector<int64_t>{1, 1, 1, 1}));
}

TEST(Tokenizer, SpecialIdsAndSize) {
  EXPECT_EQ(tokenizer().pad_id(), 0);
  EXPECT_EQ(tokenizer().unk_id(), 1);
  EXPECT_EQ(tokenizer().cls_id(), 2);
  EXPECT_EQ(tokenizer().sep_id(), 3);
  EXPECT_EQ(tokenizer().vocab_size(), static_cast<int64_t>(test_vocab().size()));
  EXPECT_EQ(tokenizer().id_of("lung"), 26);
  EXPECT_EQ(tokenizer().id_of("liver"), -1);
  EXPECT_EQ(tokenizer().token(26), "lung");
}

TEST(Tokenizer, ConstructorRejectsDuplicatesAndMissingSpecials) {
  expect_error<UsageError>([] { Tokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "a"}); }, {"'a'", "id 5"});
  expect_error<UsageError>([] { Tokenizer({"[PAD]", "[UNK]", "[CLS]"}); }, {"[SEP]"});
}

TEST_F(TokenizerFileTest, IdsAreLineNumbers) {
  const Tokenizer t = Tokenizer::from_file(write("[PAD]\r\n[unused0]\n[UNK]\n[CLS]\n[SEP]\nlung\n"));
  EXPECT_EQ(t.vocab_size(), 6);
  EXPECT_EQ(t.pad_id(), 0);
  EXPECT_EQ(t.unk_id(), 2);
  EXPECT_EQ(t.encode("Lung", 8), (std::vector<int64_t>{3, 5, 4}));
}

TEST_F(TokenizerFileTest, MissingFileIsAUsageErrorNamingIt) {
  expect_error<UsageError>([this] { (void)Tokenizer::from_file(dir_ / "none.txt"); }, {"none.txt"});
}

TEST_F(TokenizerFileTest, EmptyFileIsADataError) {
  expect_error<DataError>([this] { (void)Tokenizer::from_file(write("")); }, {"vocab.txt", "empty"});
}

TEST_F(TokenizerFileTest, MissingSpecialTokenIsADataError) {
  expect_error<DataError>([this] { (void)Tokenizer::from_file(write("[PAD]\n[UNK]\n[SEP]\nlung\n")); },
                          {"vocab.txt", "[CLS]"});
}

TEST_F(TokenizerFileTest, DuplicateTokenIsADataErrorWithLineNumbers) {
  expect_error<DataError>(
      [this] { (void)Tokenizer::from_file(write("[PAD]\n[UNK]\n[CLS]\n[SEP]\nlung\nheart\nlung\n")); },
      {"vocab.txt", "line 7", "'lung'", "line 5"});
}

}  // namespace cagcl::data
