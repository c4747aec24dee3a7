#include "data/unicode.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace cagcl::data::unicode {

namespace {

using Range = std::pair<char32_t, char32_t>;  // inclusive

template <size_t N>
bool in_ranges(char32_t cp, const std::array<Range, N>& ranges) {
  return std::any_of(ranges.begin(), ranges.end(), [cp](const Range& r) { return cp >= r.first && cp <= r.second; });
}

// Base letters of the precomposed letters U+00C0..U+017F under NFD ('.' = no canonical decomposition:
// Æ Ð × Ø Þ ß æ ð ÷ ø þ Đ đ Ħ ħ ı Ĳ ĳ ĸ Ŀ ŀ Ł ł ŉ Ŋ ŋ Œ œ Ŧ ŧ ſ). Every mark these letters decompose into
// is a nonspacing mark, so "NFD then drop Mn" leaves exactly the base letter.
constexpr char kLatinBase[] =
    "AAAAAA.CEEEEIIII"   // U+00C0
    ".NOOOOO..UUUUY.."   // U+00D0
    "aaaaaa.ceeeeiiii"   // U+00E0
    ".nooooo..uuuuy.y"   // U+00F0
    "AaAaAaCcCcCcCcDd"   // U+0100
    "..EeEeEeEeEeGgGg"   // U+0110
    "GgGgHh..IiIiIiIi"   // U+0120
    "I...JjKk.LlLlLl."   // U+0130 (U+0130 İ = I + U+0307)
    "...NnNnNn...OoOo"   // U+0140
    "Oo..RrRrRrSsSsSs"   // U+0150
    "SsTtTt..UuUuUuUu"   // U+0160
    "UuUuWwYyYZzZzZz.";  // U+0170
static_assert(sizeof(kLatinBase) == 0xC0 + 1, "one entry per code point U+00C0..U+017F");

}  // namespace

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacement;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string encode_utf8(const std::u32string& text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t cp : text) append_utf8(out, cp);
  return out;
}

std::u32string decode_utf8(const std::string& utf8) {
  std::u32string out;
  out.reserve(utf8.size());
  const size_t n = utf8.size();
  size_t i = 0;
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(utf8[i]);
    size_t length = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if (b0 < 0x80) {
      out += b0;
      ++i;
      continue;
    } else if ((b0 & 0xE0) == 0xC0) {
      length = 2, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
      length = 3, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
      length = 4, cp = b0 & 0x07, min = 0x10000;
    }
    bool valid = length > 0 && i + length <= n;
    for (size_t k = 1; valid && k < length; ++k) {
      const auto b = static_cast<unsigned char>(utf8[i + k]);
      if ((b & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (b & 0x3F);
    }
    // Over-long forms, surrogates and values past U+10FFFF are not UTF-8 either.
    if (valid && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) valid = false;
    if (valid) {
      out += cp;
      i += length;
    } else {
      out += kReplacement;  // one per bad byte; the tokenizer drops U+FFFD anyway (BERT's cleaning)
      ++i;
    }
  }
  return out;
}

bool is_whitespace(char32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') return true;
  // Category Zs.
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_control(char32_t cp) {
  if (cp == '\t' || cp == '\n' || cp == '\r') return false;
  static constexpr std::array<Range, 19> kControl = {{
      {0x00, 0x1F},     {0x7F, 0x9F},                                             // Cc
      {0xAD, 0xAD},     {0x600, 0x605},      {0x61C, 0x61C},     {0x6DD, 0x6DD},  // Cf
      {0x70F, 0x70F},   {0x180E, 0x180E},    {0x200B, 0x200F},   {0x202A, 0x202E},   {0x2060, 0x206F}, {0xFEFF, 0xFEFF},
      {0xFFF9, 0xFFFB}, {0x110BD, 0x110BD},  {0x1D173, 0x1D17A}, {0xE0001, 0xE007F}, {0xD800, 0xDFFF},  // Cs
      {0xE000, 0xF8FF}, {0xF0000, 0x10FFFF},  // Co (planes 15-16)
  }};
  return in_ranges(cp, kControl);
}

bool is_punctuation(char32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  // Category P* in the blocks clinical text (and its CJK-aware cleaning) meets.
  static constexpr std::array<Range, 29> kPunctuation = {{
      {0xA1, 0xA1},     {0xA7, 0xA7},     {0xAB, 0xAB},     {0xB6, 0xB7},
      {0xBB, 0xBB},     {0xBF, 0xBF},                                          // Latin-1
      {0x37E, 0x37E},   {0x387, 0x387},                                        // Greek ; ·
      {0x2010, 0x2027}, {0x2030, 0x2043}, {0x2045, 0x2051}, {0x2053, 0x205E},  // General Punctuation
      {0x2E00, 0x2E2E}, {0x2E30, 0x2E4F},                                      // Supplemental
      {0x3001, 0x3003}, {0x3008, 0x3011}, {0x3014, 0x301F}, {0x3030, 0x3030},
      {0x303D, 0x303D}, {0x30A0, 0x30A0}, {0x30FB, 0x30FB},                    // CJK
      {0xFF01, 0xFF03}, {0xFF05, 0xFF0A}, {0xFF0C, 0xFF0F}, {0xFF1A, 0xFF1B},  // fullwidth
      {0xFF1F, 0xFF20}, {0xFF3B, 0xFF3D}, {0xFF3F, 0xFF3F}, {0xFF5B, 0xFF65},
  }};
  // U+FF5C and U+FF5E are symbols (Sm), not punctuation.
  if (cp == 0xFF5C || cp == 0xFF5E) return false;
  return in_ranges(cp, kPunctuation);
}

bool is_cjk_ideograph(char32_t cp) {
  static constexpr std::array<Range, 8> kCjk = {{
      {0x4E00, 0x9FFF},
      {0x3400, 0x4DBF},
      {0x20000, 0x2A6DF},
      {0x2A700, 0x2B73F},
      {0x2B740, 0x2B81F},
      {0x2B820, 0x2CEAF},
      {0xF900, 0xFAFF},
      {0x2F800, 0x2FA1F},
  }};
  return in_ranges(cp, kCjk);
}

bool is_nonspacing_mark(char32_t cp) {
  // Combining Diacritical Marks (+ Extended, Supplement), the Mn part of Combining Marks for Symbols,
  // CJK tone marks, Combining Half Marks. (U+1ABE, U+20DD-U+20E0, U+20E2-U+20E4 are enclosing marks, Me.)
  static constexpr std::array<Range, 8> kMn = {{
      {0x300, 0x36F},
      {0x1AB0, 0x1ABD},
      {0x1DC0, 0x1DFF},
      {0x20D0, 0x20DC},
      {0x20E1, 0x20E1},
      {0x20E5, 0x20F0},
      {0x302A, 0x302D},
      {0xFE20, 0xFE2F},
  }};
  return in_ranges(cp, kMn);
}

bool is_split_separator(char32_t cp) { return cp == 0x2028 || cp == 0x2029; }

void append_lower(std::u32string& out, char32_t cp) {
  if (cp >= 'A' && cp <= 'Z') {
    out += cp + 32;
  } else if (cp < 0xC0) {
    out += cp;
  } else if (cp <= 0xDE) {
    out += cp == 0xD7 ? cp : cp + 0x20;  // À..Þ, except ×
  } else if (cp >= 0x100 && cp <= 0x17F) {
    if (cp == 0x130) {
      out += U'i';
      out += 0x307;  // Python: "İ".lower() == "i̇"
    } else if (cp == 0x178) {
      out += 0xFF;  // Ÿ -> ÿ
    } else if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) {
      out += (cp & 1) ? cp + 1 : cp;  // odd code points are the capitals here
    } else if (cp == 0x131 || cp == 0x138 || cp == 0x149 || cp == 0x17F) {
      out += cp;  // ı ĸ ŉ ſ have no capital form in this position
    } else {
      out += (cp & 1) ? cp : cp + 1;  // even code points are the capitals
    }
  } else if ((cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2)) {
    out += cp + 0x20;  // Greek capitals
  } else if (cp == 0x386) {
    out += 0x3AC;  // Ά
  } else if (cp >= 0x388 && cp <= 0x38A) {
    out += cp + 37;  // Έ Ή Ί
  } else if (cp == 0x38C || cp == 0x38E || cp == 0x38F) {
    out += cp == 0x38C ? 0x3CC : cp + 63;  // Ό Ύ Ώ -> ό ύ ώ
  } else if (cp >= 0x410 && cp <= 0x42F) {
    out += cp + 0x20;  // Cyrillic capitals А..Я
  } else if (cp >= 0x400 && cp <= 0x40F) {
    out += cp + 0x50;  // Ѐ..Џ
  } else if (cp >= 0xFF21 && cp <= 0xFF3A) {
    out += cp + 0x20;  // fullwidth Ａ..Ｚ
  } else {
    out += cp;
  }
}

void append_without_accents(std::u32string& out, char32_t cp) {
  if (cp >= 0xC0 && cp <= 0x17F) {
    const char base = kLatinBase[cp - 0xC0];
    out += base == '.' ? cp : static_cast<char32_t>(base);
  } else if (!is_nonspacing_mark(cp)) {
    // Lower-case Greek and Cyrillic letters with a canonical decomposition into letter + Mn (input here is
    // already lower-cased), and two punctuation marks whose NFD is another character.
    switch (cp) {
      case 0x37E: out += U';'; break;
      case 0x387: out += 0xB7; break;
      case 0x3AC: out += 0x3B1; break;  // ά
      case 0x3AD: out += 0x3B5; break;  // έ
      case 0x3AE: out += 0x3B7; break;  // ή
      case 0x390:
      case 0x3AF:
      case 0x3CA: out += 0x3B9; break;  // ΐ ί ϊ
      case 0x3CC: out += 0x3BF; break;  // ό
      case 0x3B0:
      case 0x3CB:
      case 0x3CD: out += 0x3C5; break;  // ΰ ϋ ύ
      case 0x3CE: out += 0x3C9; break;  // ώ
      case 0x439:
      case 0x45D: out += 0x438; break;  // й ѝ -> и
      case 0x450:
      case 0x451: out += 0x435; break;  // ѐ ё -> е
      case 0x453: out += 0x433; break;  // ѓ -> г
      case 0x457: out += 0x456; break;  // ї -> і
      case 0x45C: out += 0x43A; break;  // ќ -> к
      case 0x45E: out += 0x443; break;  // ў -> у
      default: out += cp;
    }
  }
}

}  // namespace cagcl::data::unicode
