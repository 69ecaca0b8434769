// core/batch.h: what a BatchScope collects runs when it ends, grouped by key, in order; without
// a scope nothing is deferred; scopes nest and belong to their thread.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/batch.h"

namespace hpki {
namespace {

// What the HTTP server does with a finished response: defer it when a scope is open.
void deliver(std::vector<std::string>& log, const void* key, std::string what) {
  auto item = [&log, what] { log.push_back(what); };
  if (auto* b = BatchScope::current()) {
    b->add(
        key,
        [&log, key](std::vector<BatchScope::Item> items) {
          log.push_back("flush " + std::string(static_cast<const char*>(key)) + " " +
                        std::to_string(items.size()));
          for (const auto& f : items) f();
        },
        item);
    return;
  }
  item();
}

TEST(BatchScope, GroupsByKeyInOrderWhenTheScopeEnds) {
  static const char a[] = "a", b[] = "b";
  std::vector<std::string> log;
  EXPECT_EQ(BatchScope::current(), nullptr);
  deliver(log, a, "now");
  {
    BatchScope scope;
    EXPECT_EQ(BatchScope::current(), &scope);
    deliver(log, a, "a1");
    deliver(log, b, "b1");
    deliver(log, a, "a2");
    EXPECT_EQ(log, std::vector<std::string>{"now"});  // nothing yet
  }
  EXPECT_EQ(BatchScope::current(), nullptr);
  EXPECT_EQ(log, (std::vector<std::string>{"now", "flush a 2", "a1", "a2", "flush b 1", "b1"}));
}

TEST(BatchScope, NestedScopesAndOtherThreads) {
  static const char a[] = "a";
  std::vector<std::string> log;
  BatchScope outer;
  {
    BatchScope inner;
    deliver(log, a, "inner");
    std::vector<std::string> other_log;
    std::thread([&] {
      EXPECT_EQ(BatchScope::current(), nullptr);  // a scope is per thread
      deliver(other_log, a, "other thread");
    }).join();
    EXPECT_EQ(other_log, std::vector<std::string>{"other thread"});
  }
  EXPECT_EQ(log, (std::vector<std::string>{"flush a 1", "inner"}));
  EXPECT_EQ(BatchScope::current(), &outer);
  deliver(log, a, "outer");
  EXPECT_EQ(log.size(), 2u);
}

}  // namespace
}  // namespace hpki
