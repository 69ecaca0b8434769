// Groups the side effects of one burst of work done on the calling thread. While a BatchScope
// lives, code that would otherwise wake another thread once per item — the HTTP server posting
// each finished response to its I/O thread — adds the item to a group instead, and each group
// is handed over once, with its items in order, when the scope ends: one wake-up per I/O thread
// per burst (e.g. a TSA commit round answering 20 requests) instead of one per response.
// Without a scope on the thread, such code acts at once. Scopes nest; the innermost collects.
#pragma once

#include <functional>
#include <vector>

namespace hpki {

class BatchScope {
 public:
  using Item = std::function<void()>;
  // Receives a group's items (in the order they were added) when the scope ends.
  using Flush = std::function<void(std::vector<Item>)>;

  BatchScope() noexcept;
  // Flushes every group, in the order the groups were opened.
  ~BatchScope();
  BatchScope(const BatchScope&) = delete;
  BatchScope& operator=(const BatchScope&) = delete;

  // The innermost scope on the calling thread, nullptr when there is none.
  [[nodiscard]] static BatchScope* current() noexcept;

  // Adds `item` to the group `key` (e.g. the I/O context the item is for); the group's `flush`
  // is the one given when the group was opened.
  void add(const void* key, Flush flush, Item item);

 private:
  struct Group {
    const void* key;
    Flush flush;
    std::vector<Item> items;
  };
  std::vector<Group> groups_;
  BatchScope* outer_;
};

}  // namespace hpki
