// `inspect` against the MobileNet paper (Howard et al. 2017): Table 6 (width
// multiplier), Table 7 (resolution) and Table 2 (share of mult-adds and
// parameters per layer kind), on synth models with 1000 classes as in the paper.
#include <gtest/gtest.h>

#include <cmath>

#include "frontend/frontend.h"
#include "frontend/synth.h"
#include "passes/passes.h"
#include "reference/inspect.h"

namespace {

nlohmann::json inspect_synth(double alpha, int resolution) {
    mncc::SynthOptions so;
    so.alpha = alpha;
    so.resolution = resolution;
    so.classes = 1000;
    mncc::Graph g = mncc::parse_tf_graphdef(mncc::synth_tf_graphdef(so), "synth.pb");
    mncc::run_passes(g);
    return mncc::inspect_json(g);
}

double millions(const nlohmann::json& j, const char* key) { return j["totals"][key].get<double>() / 1e6; }

}  // namespace

// Table 6: 1.0 / 0.75 / 0.5 / 0.25 MobileNet-224: 569 / 325 / 149 / 41 million
// mult-adds and 4.2 / 2.6 / 1.3 / 0.5 million parameters (printed to one decimal).
TEST(PaperTables, Table6WidthMultiplier) {
    const struct { double alpha, mult_adds, params; } rows[] = {
        {1.0, 569, 4.2}, {0.75, 325, 2.6}, {0.5, 149, 1.3}, {0.25, 41, 0.5}};
    for (const auto& row : rows) {
        nlohmann::json j = inspect_synth(row.alpha, 224);
        EXPECT_NEAR(millions(j, "mult_adds"), row.mult_adds, 0.01 * row.mult_adds) << "alpha " << row.alpha;
        EXPECT_NEAR(millions(j, "params"), row.params, 0.05 + 1e-9) << "alpha " << row.alpha;
    }
}

// Table 7: 1.0 MobileNet at 224 / 192 / 160 / 128: 569 / 418 / 290 / 186 M mult-adds.
TEST(PaperTables, Table7Resolution) {
    const struct { int resolution; double mult_adds; } rows[] = {{224, 569}, {192, 418}, {160, 290}, {128, 186}};
    for (const auto& row : rows) {
        nlohmann::json j = inspect_synth(1.0, row.resolution);
        EXPECT_NEAR(millions(j, "mult_adds"), row.mult_adds, 0.01 * row.mult_adds) << row.resolution;
        EXPECT_NEAR(millions(j, "params"), 4.2, 0.05) << row.resolution;
    }
}

// Table 2, 1.0 MobileNet-224. The paper prints 1.19% of mult-adds for the
// standard conv, a transposed digit: the four shares must sum to 100, so 1.91%.
TEST(PaperTables, Table2ResourcesPerLayerType) {
    nlohmann::json s = inspect_synth(1.0, 224)["shares"];
    const struct { const char* kind; double mult_adds, params; } rows[] = {
        {"pointwise", 94.86, 74.59}, {"depthwise", 3.06, 1.06}, {"fully_connected", 0.18, 24.33}, {"conv", 1.91, 0.02}};
    double sum_ma = 0, sum_p = 0;
    for (const auto& row : rows) {
        double ma = s[row.kind]["mult_adds_pct"].get<double>(), p = s[row.kind]["params_pct"].get<double>();
        EXPECT_NEAR(ma, row.mult_adds, 0.01) << row.kind;
        EXPECT_NEAR(p, row.params, 0.01) << row.kind;
        sum_ma += ma;
        sum_p += p;
    }
    EXPECT_NEAR(sum_ma, 100.0, 1e-6);
    EXPECT_NEAR(sum_p, 100.0, 1e-6);
}
