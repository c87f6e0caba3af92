#pragma once
// A small command-line parser for nibble-cli: `--name value`, `-n value`,
// `--flag`, and positional arguments, with errors a person can act on.
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace nibble::cli {

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Args {
public:
    // valueOptions take a value; flags do not. Short aliases map to long names.
    Args(const std::vector<std::string>& argv, const std::set<std::string>& valueOptions,
         const std::set<std::string>& flags, const std::map<std::string, std::string>& aliases = {});

    bool flag(const std::string& name) const { return flags_.count(name) > 0; }
    std::optional<std::string> value(const std::string& name) const;
    std::vector<std::string> values(const std::string& name) const;
    std::string required(const std::string& name) const;
    int intValue(const std::string& name, int fallback) const;
    double doubleValue(const std::string& name, double fallback) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    template <typename T>
    T number(const std::string& name, T fallback, const char* what, T (*parse)(const std::string&, size_t*)) const;

    std::multimap<std::string, std::string> values_;
    std::set<std::string> flags_;
    std::vector<std::string> positional_;
};

}  // namespace nibble::cli
