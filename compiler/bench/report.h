// `mncc bench --report FILE`: the per-layer breakdown of a benchmark as a
// picture a person reads at a glance. For each layer two bars side by side:
// its share of the measured time and its share of the network's mult-adds;
// a layer whose time bar is much longer than its work bar is the one to fix.
// FILE.svg is a standalone SVG; FILE.html wraps the same SVG with a table.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mncc {

// The SVG text for a bench result as `mncc bench --json` prints it
// (layers[] with kernel, kind, median_ms, mult_adds, gflops, percent_of_peak).
std::string bench_report_svg(const nlohmann::json& result);

// Throws mncc::Error unless `path` ends in .svg or .html (checked before a
// benchmark starts, so a typo does not cost a whole run).
void check_report_path(const std::string& path);

// Writes the report to `path` (atomically); the format follows the extension,
// .svg or .html, anything else is an error naming the file.
void write_bench_report(const nlohmann::json& result, const std::string& path);

}  // namespace mncc
