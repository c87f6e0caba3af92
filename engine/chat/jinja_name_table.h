#pragma once
// A constant table from names to functions, kept sorted so that finding a
// filter, test or method is a binary search rather than a chain of string
// comparisons. Tables state their order with
// static_assert(sortedAndUnique(table)), so a misplaced row fails the build.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace nibble::jinja {

template <typename Fn>
struct NamedEntry {
    std::string_view name;
    Fn fn;
};

template <typename Fn, size_t N>
constexpr bool sortedAndUnique(const std::array<NamedEntry<Fn>, N>& table) {
    for (size_t i = 1; i < N; ++i)
        if (!(table[i - 1].name < table[i].name)) return false;
    return true;
}

// The row called `name`, or null.
template <typename Fn, size_t N>
const NamedEntry<Fn>* findNamed(const std::array<NamedEntry<Fn>, N>& table, std::string_view name) {
    const auto it = std::lower_bound(table.begin(), table.end(), name,
                                     [](const NamedEntry<Fn>& e, std::string_view n) { return e.name < n; });
    return it != table.end() && it->name == name ? &*it : nullptr;
}

}  // namespace nibble::jinja
