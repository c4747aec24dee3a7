// `cagcl tokenize`: the ids BERT sees for each line of stdin, to check a vocab.txt or compare against
// HuggingFace's BertTokenizer (docs/text.md).
#include <iostream>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "data/tokenizer.hpp"
#include "launch/commands/command.hpp"

namespace cagcl {
namespace {

struct TokenizeOptions {
  std::string vocab;
  int64_t max_len = 512;
};

void run_tokenize(const TokenizeOptions& o) {
  if (o.max_len < 2) throw UsageError("--max-len " + std::to_string(o.max_len) + ": must be >= 2 ([CLS] and [SEP])");
  const data::Tokenizer tokenizer = data::Tokenizer::from_file(o.vocab);
  std::string line;
  std::string out;
  while (std::getline(std::cin, line)) {
    out.clear();
    for (int64_t id : tokenizer.encode(line, o.max_len)) {
      if (!out.empty()) out += ' ';
      out += std::to_string(id);
    }
    std::cout << out << '\n';
  }
  std::cout.flush();
  if (!std::cout) throw IoError("stdout: write error");
}

}  // namespace

Command add_tokenize_command(CLI::App& app) {
  auto o = std::make_shared<TokenizeOptions>();
  auto* cmd = app.add_subcommand(
      "tokenize", "Print the BERT WordPiece ids of each stdin line ([CLS] ... [SEP], no padding), one line each");
  cmd->add_option("--vocab", o->vocab, "WordPiece vocab.txt (one token per line, id = line number)")->required();
  cmd->add_option("--max-len", o->max_len, "truncate to this many ids, [CLS] and [SEP] included (>= 2)")
      ->capture_default_str();
  return {cmd, [o] { run_tokenize(*o); }};
}

}  // namespace cagcl
