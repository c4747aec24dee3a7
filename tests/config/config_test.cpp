#include "config/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/error.hpp"

namespace cagcl {
namespace {

// Runs `fn`, expects a UsageError, and returns its message.
template <typename Fn>
std::string usage_error_of(Fn fn) {
  try {
    fn();
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a UsageError";
  return "";
}

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST(Config, PresetsTinySmallBaseExistAndValidate) {
  EXPECT_EQ(preset_names(), (std::vector<std::string>{"base", "small", "tiny"}));
  for (const auto& name : preset_names()) EXPECT_NO_THROW(load_config(name)) << name;
}

TEST(Config, BuiltInDefaultsAreTheSmallPreset) { EXPECT_EQ(to_yaml(Config{}), to_yaml(load_config("small"))); }

TEST(Config, EveryPresetSetsEveryKey) {
  // A preset that forgot a key would silently inherit the built-in default: presets must be complete.
  for (const auto& name : preset_names()) {
    const std::string text = preset_yaml(name);
    for (const auto& [key, help] : config_keys()) {
      const std::string leaf = key.substr(key.find('.') + 1) + ":";
      EXPECT_NE(text.find(leaf), std::string::npos) << name << " lacks " << key;
    }
  }
}

TEST(Config, BasePresetHasFvlmSizes) {
  const Config c = load_config("base");
  EXPECT_EQ(c.data.crop, (std::array<int64_t, 3>{112, 256, 352}));
  EXPECT_EQ(c.vision.patch, (std::array<int64_t, 3>{16, 16, 32}));
  EXPECT_EQ(c.vision.width, 768);
  EXPECT_EQ(c.vision.depth, 12);
  EXPECT_EQ(c.vision.heads, 12);
  EXPECT_EQ(c.vision.return_layers, (std::vector<int64_t>{4, 7, 10, 12}));
  EXPECT_EQ(c.text.max_length, 384);
  EXPECT_EQ(c.model.embed_dim, 256);
  EXPECT_EQ(c.train.warmup_steps, 377);
}

TEST(Config, OverridesApplyInOrderAndParseLists) {
  const Config c = load_config("tiny", {"train.lr=3e-4", "data.crop=[16,32,32]", "train.lr=5e-4", "loss.w_global=0"});
  EXPECT_DOUBLE_EQ(c.train.lr, 5e-4);
  EXPECT_EQ(c.data.crop, (std::array<int64_t, 3>{16, 32, 32}));
  EXPECT_DOUBLE_EQ(c.loss.w_global, 0.0);
}

TEST(Config, UnknownKeyIsAnErrorNamingTheKeyPath) {
  const auto msg = usage_error_of([] { load_config("tiny", {"train.lrr=1"}); });
  EXPECT_NE(msg.find("'train.lrr'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown key"), std::string::npos) << msg;
}

TEST(Config, BadValuesAreErrorsNamingTheKeyPath) {
  EXPECT_NE(usage_error_of([] { load_config("tiny", {"train.batch_size=0"}); }).find("'train.batch_size'"),
            std::string::npos);
  EXPECT_NE(usage_error_of([] { load_config("tiny", {"train.batch_size=2.5"}); }).find("expected an integer"),
            std::string::npos);
  EXPECT_NE(usage_error_of([] { load_config("tiny", {"train.zero1=yes please"}); }).find("'train.zero1'"),
            std::string::npos);
  EXPECT_NE(usage_error_of([] { load_config("tiny", {"data.crop=[1,2]"}); }).find("exactly 3"), std::string::npos);
  EXPECT_NE(usage_error_of([] { load_config("tiny", {"train.precision=fp8"}); }).find("one of: fp32, bf16"),
            std::string::npos);
  EXPECT_NE(usage_error_of([] { load_config("tiny", {"augment.p_keep=1.5"}); }).find("'augment.p_keep'"),
            std::string::npos);
  EXPECT_NE(usage_error_of([] { load_config("tiny", {"train.lr"}); }).find("expected key.path=value"),
            std::string::npos);
}

// A failure timeout so large that a deadline computed from it overflows would make every collective fail at once.
TEST(Config, AFailureTimeoutBeyondAWeekIsRefusedNamingTheKey) {
  for (const char* value : {"1e300", "1e12", "604801"})
    EXPECT_NE(usage_error_of([&] {
                load_config("tiny", {std::string("comm.failure_timeout_s=") + value});
              }).find("'comm.failure_timeout_s'"),
              std::string::npos)
        << value;
  EXPECT_NO_THROW(load_config("tiny", {"comm.failure_timeout_s=604800"}));
}

TEST(Config, CrossFieldChecksNameTheKey) {
  EXPECT_NE(usage_error_of([] { load_config("tiny", {"data.crop=[30,64,64]"}); }).find("'data.crop'"),
            std::string::npos);
  EXPECT_NE(usage_error_of([] { load_config("tiny", {"vision.return_layers=[3]"}); }).find("'vision.return_layers'"),
            std::string::npos);
  EXPECT_NE(usage_error_of([] { load_config("tiny", {"vision.heads=3"}); }).find("'vision.width'"), std::string::npos);
}

TEST(Config, FileStartsFromItsBasePresetAndNamesItselfInErrors) {
  auto good = write_temp("cagcl_config_good.yaml", "base: tiny\ntrain:\n  steps: 11\n");
  const Config c = load_config(good.string());
  EXPECT_EQ(c.train.steps, 11);
  EXPECT_EQ(c.vision.width, load_config("tiny").vision.width);

  auto bad = write_temp("cagcl_config_bad.yaml", "train:\n  stepz: 11\n");
  const auto msg = usage_error_of([&] { load_config(bad.string()); });
  EXPECT_NE(msg.find(bad.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("'train.stepz'"), std::string::npos) << msg;
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

TEST(Config, UnknownPresetOrMissingFileIsAnError) {
  EXPECT_NE(usage_error_of([] { load_config("huge"); }).find("--config 'huge'"), std::string::npos);
}

TEST(Config, PrintedYamlLoadsBackToTheSameConfig) {
  const Config c = load_config("tiny", {"train.lr=2e-4", "data.anatomies=[lung, heart]"});
  auto path = std::filesystem::temp_directory_path() / "cagcl_config_roundtrip.yaml";
  save_config(c, path.string());
  const Config back = load_config(path.string());
  EXPECT_EQ(to_yaml(back), to_yaml(c));
  EXPECT_EQ(config_hash(back), config_hash(c));
  EXPECT_NE(config_hash(c), config_hash(load_config("tiny")));
  std::filesystem::remove(path);
}

}  // namespace cagcl
