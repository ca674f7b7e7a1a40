// A gtest fixture with a fresh temporary directory per test, removed afterwards.
//
//   class MyTest : public wedge::testing::TempDirFixture {};
//   TEST_F(MyTest, Writes) { write_file_atomic(dir() / "f", "x"); }
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "harness/util/files.h"

namespace wedge::testing {

class TempDirFixture : public ::testing::Test {
 public:
  void SetUp() override {
    auto d = TempDir::create("wedge-unit-test");
    ASSERT_TRUE(d.ok()) << d.error().message();
    dir_ = std::make_unique<TempDir>(std::move(*d));
  }
  [[nodiscard]] std::filesystem::path dir() const { return dir_->path(); }

 private:
  std::unique_ptr<TempDir> dir_;
};

}  // namespace wedge::testing
