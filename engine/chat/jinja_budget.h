#pragma once
// What one render has used of its Limits: nesting depth, steps and bytes. Every
// check runs before the work it pays for, so a hostile template fails with
// TemplateError(TooComplex) instead of overflowing the stack, spinning or
// exhausting memory. It also remembers the lists and namespaces the template
// changed and empties them when the render ends: only a change can make a
// value contain itself, and emptying them frees such cycles.
#include "chat/jinja_limits.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nibble::jinja {

class Value;
class TemplateError;

class Budget {
public:
    explicit Budget(const Limits& limits);
    ~Budget();
    Budget(const Budget&) = delete;
    Budget& operator=(const Budget&) = delete;

    const Limits& limits() const { return limits_; }

    void step(int64_t count = 1);
    // Before making `count` items of `unitBytes` each (a string of count bytes,
    // a list of count values): fails when that one value would be too large or
    // the render would make too much in all.
    void allocate(size_t unitBytes, uint64_t count = 1);
    // Before adding `more` bytes to a string or list that holds `size` bytes.
    void grow(size_t size, size_t more);
    void enter();  // one level deeper; pair with leave()
    void leave() { --depth_; }
    // A list or namespace the template just changed, to be emptied at the end.
    void changed(const Value& container);
    // Empties them all (first moving every item out, so no chain of them is
    // freed recursively). Runs before the render's own variables are freed.
    void emptyChanged();

    // The budget of the render running on this thread, or null outside a render.
    // Values, filters and methods are plain Python-style helpers with no render
    // at hand; a render runs on one thread, so the thread is how they find it.
    static Budget* active();

private:
    friend class ActiveBudget;
    Limits limits_;
    int depth_ = 0;
    int64_t steps_ = 0;
    uint64_t totalBytes_ = 0;
    std::vector<Value> changed_;
};

// Makes `budget` the active one for its lifetime (restoring the previous one).
class ActiveBudget {
public:
    explicit ActiveBudget(Budget& budget);
    ~ActiveBudget();
    ActiveBudget(const ActiveBudget&) = delete;
    ActiveBudget& operator=(const ActiveBudget&) = delete;

private:
    Budget* previous_;
};

// One nesting level of the active budget for as long as it lives (none outside a render).
class Nesting {
public:
    Nesting() : budget_(Budget::active()) {
        if (budget_) budget_->enter();
    }
    ~Nesting() {
        if (budget_) budget_->leave();
    }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

private:
    Budget* budget_;
};

// Shorthands for the active budget; they do nothing outside a render.
void countSteps(int64_t count = 1);
void reserveBytes(size_t unitBytes, uint64_t count = 1);
void reserveGrowth(size_t size, size_t more);
void markChanged(const Value& container);

// The error every limit raises: "chat template is too complex: " + what, once ChatTemplate words it.
TemplateError tooComplex(const std::string& what);
// The nesting limit's error, shared with the parser, which runs before any budget exists.
TemplateError nestedTooDeep(int maxDepth);

}  // namespace nibble::jinja
