#include "chat/jinja_budget.h"

#include "chat/jinja_error.h"
#include "chat/jinja_value.h"

namespace nibble::jinja {

namespace {

thread_local Budget* activeBudget = nullptr;

std::string mebibytes(size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

TemplateError tooComplex(const std::string& what) { return TemplateError(TemplateError::Kind::TooComplex, what); }

TemplateError nestedTooDeep(int maxDepth) {
    return tooComplex("nested more than " + std::to_string(maxDepth) + " levels deep");
}

Budget::Budget(const Limits& limits) : limits_(limits) {}

Budget::~Budget() { emptyChanged(); }

void Budget::emptyChanged() {
    std::vector<Value> contents;
    for (const Value& container : changed_) container.moveContentsInto(contents);
    contents.clear();
    changed_.clear();
}

void Budget::step(int64_t count) {
    steps_ += count;
    if (steps_ > limits_.maxSteps)
        throw tooComplex("it runs more than " + std::to_string(limits_.maxSteps) + " steps (loops inside loops?)");
}

void Budget::allocate(size_t unitBytes, uint64_t count) {
    const uint64_t bytes = unitBytes == 0 || count <= limits_.maxValueBytes / unitBytes ? unitBytes * count : UINT64_MAX;
    grow(0, bytes > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(bytes));
}

void Budget::grow(size_t size, size_t more) {
    if (size > limits_.maxValueBytes || more > limits_.maxValueBytes - size)
        throw tooComplex("it makes a string or list larger than " + mebibytes(limits_.maxValueBytes));
    totalBytes_ += more;
    if (totalBytes_ > limits_.maxTotalBytes)
        throw tooComplex("it makes more than " + mebibytes(limits_.maxTotalBytes) + " of text and lists");
}

void Budget::enter() {
    if (depth_ >= limits_.maxDepth) throw nestedTooDeep(limits_.maxDepth);
    ++depth_;
}

void Budget::changed(const Value& container) {
    // A container changed a hundred times needs emptying once; checking the
    // last few catches the usual loop that appends to one list.
    for (size_t i = changed_.size(), seen = 0; i > 0 && seen < 4; --i, ++seen)
        if (changed_[i - 1].sameContainer(container)) return;
    allocate(sizeof(Value));
    changed_.push_back(container);
}

Budget* Budget::active() { return activeBudget; }

ActiveBudget::ActiveBudget(Budget& budget) : previous_(activeBudget) { activeBudget = &budget; }

ActiveBudget::~ActiveBudget() { activeBudget = previous_; }

void countSteps(int64_t count) {
    if (Budget* b = Budget::active()) b->step(count);
}

void reserveBytes(size_t unitBytes, uint64_t count) {
    if (Budget* b = Budget::active()) b->allocate(unitBytes, count);
}

void reserveGrowth(size_t size, size_t more) {
    if (Budget* b = Budget::active()) b->grow(size, more);
}

void markChanged(const Value& container) {
    if (Budget* b = Budget::active()) b->changed(container);
}

}  // namespace nibble::jinja
