#include "bench/report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "support/error.h"
#include "support/files.h"

namespace mncc {

namespace {

using nlohmann::json;

std::string xml_escape(const std::string& s) {
    std::string r;
    for (unsigned char c : s) {
        switch (c) {
            case '&': r += "&amp;"; break;
            case '<': r += "&lt;"; break;
            case '>': r += "&gt;"; break;
            case '"': r += "&quot;"; break;
            case '\'': r += "&apos;"; break;
            default:
                // Control bytes are not allowed in XML 1.0; file names may hold them.
                if (c < 0x20 && c != '\t') r += '?';
                else r += static_cast<char>(c);
        }
    }
    return r;
}

std::string fmt(const char* f, double v) {
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

double number(const json& j, const char* key) {
    if (!j.contains(key) || !j[key].is_number()) throw Error(std::string("bench report: result has no number '") + key + "'");
    return j[key].get<double>();
}

std::string text(const json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace

std::string bench_report_svg(const json& r) {
    if (!r.contains("layers") || !r["layers"].is_array()) throw Error("bench report: result has no layers");
    const json& layers = r["layers"];
    double time_sum = 0, macs_sum = 0;
    for (const json& L : layers) time_sum += number(L, "median_ms"), macs_sum += number(L, "mult_adds");
    double max_share = 0;
    for (const json& L : layers) {
        if (time_sum > 0) max_share = std::max(max_share, number(L, "median_ms") / time_sum);
        if (macs_sum > 0) max_share = std::max(max_share, number(L, "mult_adds") / macs_sum);
    }
    if (max_share <= 0) max_share = 1;

    const int label_w = 300, bar_x = label_w + 20, bar_w = 560, row_h = 22, top = 70;
    const int width = bar_x + bar_w + 200, height = top + row_h * static_cast<int>(layers.size()) + 40;
    std::string s;
    s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) + "\" height=\"" +
         std::to_string(height) + "\" font-family=\"monospace\" font-size=\"11\">\n";
    s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    s += "<text x=\"10\" y=\"18\" font-size=\"14\">mncc bench: " + xml_escape(text(r, "model")) + "</text>\n";
    s += "<text x=\"10\" y=\"36\">" + xml_escape(text(r, "target")) + ", " + std::to_string(r.value("threads", 1)) +
         " thread(s), " + std::to_string(r.value("runs", 0)) + " runs: median " + fmt("%.3f", number(r, "median_ms")) +
         " ms, " + fmt("%.1f", number(r, "gflops")) + " GFLOP/s, " + fmt("%.1f", number(r, "percent_of_peak")) +
         "% of FMA peak</text>\n";
    s += "<rect x=\"10\" y=\"46\" width=\"12\" height=\"8\" fill=\"#3465a4\"/><text x=\"26\" y=\"54\">share of layer "
         "time (label: ms, % of peak)</text>\n";
    s += "<rect x=\"330\" y=\"46\" width=\"12\" height=\"8\" fill=\"#babdb6\"/><text x=\"346\" y=\"54\">share of "
         "mult-adds</text>\n";
    int y = top;
    for (const json& L : layers) {
        const double ms = number(L, "median_ms"), macs = number(L, "mult_adds");
        const double ts = time_sum > 0 ? ms / time_sum : 0, ws = macs_sum > 0 ? macs / macs_sum : 0;
        const double tw = bar_w * ts / max_share, ww = bar_w * ws / max_share;
        std::string label = text(L, "kernel");
        if (label.size() > 44) label = label.substr(0, 41) + "...";
        s += "<text x=\"10\" y=\"" + std::to_string(y + 12) + "\">" + xml_escape(label) + "</text>\n";
        s += "<rect x=\"" + std::to_string(bar_x) + "\" y=\"" + std::to_string(y + 2) + "\" width=\"" + fmt("%.1f", tw) +
             "\" height=\"9\" fill=\"#3465a4\"><title>" + xml_escape(text(L, "kernel") + " (" + text(L, "kind") + ")") +
             "</title></rect>\n";
        s += "<rect x=\"" + std::to_string(bar_x) + "\" y=\"" + std::to_string(y + 12) + "\" width=\"" + fmt("%.1f", ww) +
             "\" height=\"6\" fill=\"#babdb6\"/>\n";
        s += "<text x=\"" + fmt("%.0f", bar_x + std::max(tw, ww) + 6) + "\" y=\"" + std::to_string(y + 12) + "\">" +
             fmt("%.3f ms", ms) + fmt(", %.0f%%", number(L, "percent_of_peak")) + "</text>\n";
        y += row_h;
    }
    s += "<text x=\"10\" y=\"" + std::to_string(y + 20) + "\">layers sum " + fmt("%.3f", time_sum) + " ms; " +
         fmt("%.1f", macs_sum / 1e6) + " M mult-adds</text>\n";
    s += "</svg>\n";
    return s;
}

void check_report_path(const std::string& path) {
    const std::string ext = std::filesystem::path(path).extension().string();
    if (ext != ".svg" && ext != ".html") throw Error("bench: report file '" + path + "' must end in .svg or .html");
}

void write_bench_report(const json& r, const std::string& path) {
    check_report_path(path);
    const std::string ext = std::filesystem::path(path).extension().string();
    const std::string svg = bench_report_svg(r);
    if (ext == ".svg") {
        write_file_atomic(path, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg, "bench");
        return;
    }
    std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mncc bench</title></head><body>\n" +
                       svg + "<table border=\"1\" cellspacing=\"0\" cellpadding=\"3\">\n"
                             "<tr><th>kernel</th><th>kind</th><th>median ms</th><th>mult-adds</th><th>GFLOP/s</th>"
                             "<th>% of peak</th></tr>\n";
    for (const json& L : r["layers"])
        html += "<tr><td>" + xml_escape(text(L, "kernel")) + "</td><td>" + xml_escape(text(L, "kind")) + "</td><td>" +
                fmt("%.4f", number(L, "median_ms")) + "</td><td>" + fmt("%.0f", number(L, "mult_adds")) + "</td><td>" +
                fmt("%.1f", number(L, "gflops")) + "</td><td>" + fmt("%.1f", number(L, "percent_of_peak")) + "</td></tr>\n";
    html += "</table>\n</body></html>\n";
    write_file_atomic(path, html, "bench");
}

}  // namespace mncc
