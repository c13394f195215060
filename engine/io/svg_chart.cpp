// Small SVG charts. See svg_chart.h.
#include "engine/io/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace embedlab {
namespace {

std::string esc(const std::string& s) {
    std::string o;
    for (char c : s) {
        if (c == '&') o += "&amp;";
        else if (c == '<') o += "&lt;";
        else if (c == '>') o += "&gt;";
        else if (c == '"') o += "&quot;";
        else o += c;
    }
    return o;
}

std::string num(double v, int precision = 4) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*g", precision, v);
    return b;
}

std::string fmt(double v) {  // coordinates
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", v);
    return b;
}

// "Nice" tick positions covering [lo, hi].
std::vector<double> ticks(double lo, double hi, int target = 6) {
    if (!(hi > lo)) return {lo};
    const double raw = (hi - lo) / target;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    // A range of a few ulps has no "nice" step: its ends only.
    if (!(step > 0) || step < (std::abs(lo) + std::abs(hi)) * 1e-12) return {lo, hi};
    std::vector<double> t;
    const double first = std::ceil(lo / step) * step;
    for (int i = 0; i < 100; ++i) {
        const double v = first + i * step;
        if (v > hi + step * 1e-9) break;
        t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    }
    return t;
}

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

}  // namespace

std::string svgLineChart(const std::string& title, const std::string& xLabel, const std::string& yLabel,
                         const std::vector<SvgSeries>& series, const std::vector<std::string>& xCategories) {
    const double W = 760, H = 440, left = 70, right = 180, top = 40, bottom = 60;
    const double pw = W - left - right, ph = H - top - bottom;
    double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
    for (const auto& s : series)
        for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
            xlo = std::min(xlo, s.x[i]), xhi = std::max(xhi, s.x[i]);
            ylo = std::min(ylo, s.y[i]), yhi = std::max(yhi, s.y[i]);
        }
    if (!std::isfinite(xlo)) xlo = 0, xhi = 1, ylo = 0, yhi = 1;
    if (!xCategories.empty()) xlo = -0.5, xhi = double(xCategories.size()) - 0.5;
    if (xhi == xlo) xlo -= 1, xhi += 1;
    if (yhi == ylo) ylo -= std::max(1e-3, std::abs(ylo) * 0.05), yhi += std::max(1e-3, std::abs(yhi) * 0.05);
    const double pad = (yhi - ylo) * 0.05;
    ylo -= pad, yhi += pad;
    auto X = [&](double x) { return left + (x - xlo) / (xhi - xlo) * pw; };
    auto Y = [&](double y) { return top + (1 - (y - ylo) / (yhi - ylo)) * ph; };
    std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    fmt(W) + "\" height=\"" + fmt(H) + "\" viewBox=\"0 0 " + fmt(W) + " " + fmt(H) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    s += "<text x=\"" + fmt(W / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + esc(title) + "</text>\n";
    s += "<rect x=\"" + fmt(left) + "\" y=\"" + fmt(top) + "\" width=\"" + fmt(pw) + "\" height=\"" + fmt(ph) +
         "\" fill=\"none\" stroke=\"#444\"/>\n";
    for (double t : ticks(ylo, yhi)) {
        s += "<line x1=\"" + fmt(left) + "\" x2=\"" + fmt(left + pw) + "\" y1=\"" + fmt(Y(t)) + "\" y2=\"" + fmt(Y(t)) +
             "\" stroke=\"#ddd\"/>\n<text x=\"" + fmt(left - 6) + "\" y=\"" + fmt(Y(t) + 4) +
             "\" text-anchor=\"end\">" + num(t) + "</text>\n";
    }
    if (!xCategories.empty()) {
        const size_t every = std::max<size_t>(1, xCategories.size() / 12);
        for (size_t i = 0; i < xCategories.size(); i += every)
            s += "<text x=\"" + fmt(X(double(i))) + "\" y=\"" + fmt(top + ph + 16) + "\" text-anchor=\"middle\">" +
                 esc(xCategories[i]) + "</text>\n";
    } else {
        for (double t : ticks(xlo, xhi))
            s += "<line x1=\"" + fmt(X(t)) + "\" x2=\"" + fmt(X(t)) + "\" y1=\"" + fmt(top + ph) + "\" y2=\"" +
                 fmt(top + ph + 4) + "\" stroke=\"#444\"/>\n<text x=\"" + fmt(X(t)) + "\" y=\"" + fmt(top + ph + 16) +
                 "\" text-anchor=\"middle\">" + num(t) + "</text>\n";
    }
    s += "<text x=\"" + fmt(left + pw / 2) + "\" y=\"" + fmt(H - 18) + "\" text-anchor=\"middle\">" + esc(xLabel) + "</text>\n";
    s += "<text transform=\"translate(18," + fmt(top + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" + esc(yLabel) +
         "</text>\n";
    for (size_t k = 0; k < series.size(); ++k) {
        const auto& se = series[k];
        const std::string colour = kPalette[k % (sizeof kPalette / sizeof *kPalette)];
        std::string path;
        bool pen = false;
        for (size_t i = 0; i < se.x.size() && i < se.y.size(); ++i) {
            if (!std::isfinite(se.y[i]) || !std::isfinite(se.x[i])) {
                pen = false;
                continue;
            }
            path += (pen ? " L" : " M") + fmt(X(se.x[i])) + " " + fmt(Y(se.y[i]));
            pen = true;
            s += "<circle cx=\"" + fmt(X(se.x[i])) + "\" cy=\"" + fmt(Y(se.y[i])) + "\" r=\"3\" fill=\"" + colour +
                 "\"><title>" + esc(se.name) + ": " + num(se.x[i]) + ", " + num(se.y[i], 6) + "</title></circle>\n";
        }
        if (!path.empty())
            s += "<path d=\"" + path.substr(1) + "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\"/>\n";
        const double ly = top + 14 + 18 * double(k);
        s += "<line x1=\"" + fmt(left + pw + 12) + "\" x2=\"" + fmt(left + pw + 32) + "\" y1=\"" + fmt(ly - 4) + "\" y2=\"" +
             fmt(ly - 4) + "\" stroke=\"" + colour + "\" stroke-width=\"2\"/>\n<text x=\"" + fmt(left + pw + 38) +
             "\" y=\"" + fmt(ly) + "\">" + esc(se.name) + "</text>\n";
    }
    return s + "</svg>\n";
}

std::string svgHeatmap(const std::string& title, const std::string& rowLabel, const std::string& colLabel,
                       const std::vector<std::string>& rowNames, const std::vector<std::string>& colNames,
                       const std::vector<std::vector<double>>& values, const std::string& valueLabel) {
    const double cell = std::clamp(560.0 / std::max<double>(1.0, double(std::max(rowNames.size(), colNames.size()))), 12.0, 48.0);
    const double left = 90, top = 70;
    const double W = left + cell * double(colNames.size()) + 150, H = top + cell * double(rowNames.size()) + 60;
    double amax = 0;
    for (const auto& row : values)
        for (double v : row)
            if (std::isfinite(v)) amax = std::max(amax, std::abs(v));
    if (amax == 0) amax = 1;
    auto colour = [&](double v) {
        if (!std::isfinite(v)) return std::string("#cccccc");
        const double t = std::clamp(v / amax, -1.0, 1.0);
        int r = 255, g = 255, b = 255;
        if (t > 0) g = b = int(std::lround(255 * (1 - t)));
        else r = g = int(std::lround(255 * (1 + t)));
        char buf[16];
        std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
        return std::string(buf);
    };
    std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    fmt(W) + "\" height=\"" + fmt(H) + "\" viewBox=\"0 0 " + fmt(W) + " " + fmt(H) +
                    "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    s += "<text x=\"" + fmt(W / 2) + "\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">" + esc(title) + "</text>\n";
    s += "<text x=\"" + fmt(left + cell * double(colNames.size()) / 2) + "\" y=\"" + fmt(top - 26) +
         "\" text-anchor=\"middle\">" + esc(colLabel) + "</text>\n";
    s += "<text transform=\"translate(16," + fmt(top + cell * double(rowNames.size()) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + esc(rowLabel) + "</text>\n";
    for (size_t c = 0; c < colNames.size(); ++c)
        s += "<text x=\"" + fmt(left + cell * (double(c) + 0.5)) + "\" y=\"" + fmt(top - 6) + "\" text-anchor=\"middle\">" +
             esc(colNames[c]) + "</text>\n";
    for (size_t r = 0; r < rowNames.size(); ++r) {
        s += "<text x=\"" + fmt(left - 6) + "\" y=\"" + fmt(top + cell * (double(r) + 0.5) + 4) + "\" text-anchor=\"end\">" +
             esc(rowNames[r]) + "</text>\n";
        for (size_t c = 0; c < colNames.size(); ++c) {
            const double v = r < values.size() && c < values[r].size() ? values[r][c] : std::nan("");
            s += "<rect x=\"" + fmt(left + cell * double(c)) + "\" y=\"" + fmt(top + cell * double(r)) + "\" width=\"" +
                 fmt(cell) + "\" height=\"" + fmt(cell) + "\" fill=\"" + colour(v) + "\" stroke=\"white\"><title>" +
                 esc(rowLabel + " " + rowNames[r] + ", " + colLabel + " " + colNames[c] + ": " +
                     (std::isfinite(v) ? num(v, 6) : std::string("no value"))) +
                 "</title></rect>\n";
            if (cell >= 36 && std::isfinite(v))
                s += "<text x=\"" + fmt(left + cell * (double(c) + 0.5)) + "\" y=\"" + fmt(top + cell * (double(r) + 0.5) + 4) +
                     "\" text-anchor=\"middle\" font-size=\"9\">" + num(v, 2) + "</text>\n";
        }
    }
    // legend: a vertical bar from −amax to +amax
    const double lx = left + cell * double(colNames.size()) + 30, ly = top, lh = std::max(100.0, cell * double(rowNames.size()));
    for (int i = 0; i < 20; ++i) {
        const double v = amax * (1 - 2 * (i + 0.5) / 20);
        s += "<rect x=\"" + fmt(lx) + "\" y=\"" + fmt(ly + lh * i / 20) + "\" width=\"16\" height=\"" + fmt(lh / 20 + 0.5) +
             "\" fill=\"" + colour(v) + "\"/>\n";
    }
    s += "<text x=\"" + fmt(lx + 22) + "\" y=\"" + fmt(ly + 8) + "\">" + num(amax, 3) + "</text>\n<text x=\"" + fmt(lx + 22) +
         "\" y=\"" + fmt(ly + lh / 2 + 4) + "\">0</text>\n<text x=\"" + fmt(lx + 22) + "\" y=\"" + fmt(ly + lh) + "\">" +
         num(-amax, 3) + "</text>\n<text x=\"" + fmt(lx) + "\" y=\"" + fmt(ly + lh + 18) + "\">" + esc(valueLabel) + "</text>\n";
    return s + "</svg>\n";
}

}  // namespace embedlab
