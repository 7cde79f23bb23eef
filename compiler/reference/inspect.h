// `mncc inspect`: the network as mncc understood it, one row per layer, with
// mult-adds and parameter shares per layer kind as in Table 2 of the MobileNet
// paper.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "ir/ir.h"

namespace mncc {

nlohmann::json inspect_json(const Graph& g);       // rows, totals, shares
std::string inspect_table(const Graph& g);          // the same, as text
}  // namespace mncc
