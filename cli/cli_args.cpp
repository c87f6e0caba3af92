#include "cli_args.h"

#include <cctype>

namespace nibble::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& valueOptions,
           const std::set<std::string>& flags, const std::map<std::string, std::string>& aliases) {
    for (size_t i = 0; i < argv.size(); ++i) {
        std::string a = argv[i];
        if (a.size() < 2 || a[0] != '-' || (a.size() > 1 && std::isdigit(static_cast<unsigned char>(a[1])))) {
            positional_.push_back(a);
            continue;
        }
        if (auto alias = aliases.find(a); alias != aliases.end()) a = alias->second;
        const std::string name = a.substr(a.rfind("--", 0) == 0 ? 2 : 1);
        if (flags.count(name)) {
            flags_.insert(name);
        } else if (valueOptions.count(name)) {
            if (i + 1 >= argv.size()) throw UsageError("option " + argv[i] + " needs a value");
            values_.emplace(name, argv[++i]);
        } else {
            throw UsageError("unknown option " + argv[i]);
        }
    }
}

std::optional<std::string> Args::value(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::vector<std::string> Args::values(const std::string& name) const {
    std::vector<std::string> out;
    for (auto [it, end] = values_.equal_range(name); it != end; ++it) out.push_back(it->second);
    return out;
}

std::string Args::required(const std::string& name) const {
    auto v = value(name);
    if (!v) throw UsageError("missing --" + name);
    return *v;
}

template <typename T>
T Args::number(const std::string& name, T fallback, const char* what, T (*parse)(const std::string&, size_t*)) const {
    auto v = value(name);
    if (!v) return fallback;
    try {
        size_t used = 0;
        T n = parse(*v, &used);
        if (used == v->size()) return n;
    } catch (const std::exception&) {
    }
    throw UsageError("--" + name + " needs " + what + ", got \"" + *v + "\"");
}

int Args::intValue(const std::string& name, int fallback) const {
    return number<int>(name, fallback, "a whole number", [](const std::string& s, size_t* used) { return std::stoi(s, used); });
}

double Args::doubleValue(const std::string& name, double fallback) const {
    return number<double>(name, fallback, "a number", [](const std::string& s, size_t* used) { return std::stod(s, used); });
}

}  // namespace nibble::cli
