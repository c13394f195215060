// embedlab engine — small SVG charts for headless outputs (`embedlab-cli ablate` writes them beside its
// tables): a line chart of one or more series and a heatmap with a diverging colour scale. Plain SVG 1.1
// that browsers, Inkscape and LaTeX converters read; no Qt, so the engine and the CLI build without it
// (the app draws its own charts with Qt Charts).
#pragma once

#include <string>
#include <vector>

namespace embedlab {

struct SvgSeries {
    std::string name;
    std::vector<double> x, y;  // same length; NaN y values leave a gap
};

// x is numeric unless `xCategories` is given (then x[i] indexes it and the ticks are its labels).
std::string svgLineChart(const std::string& title, const std::string& xLabel, const std::string& yLabel,
                         const std::vector<SvgSeries>& series, const std::vector<std::string>& xCategories = {});

// values[r][c] (NaN = no value); colours: blue below 0, white at 0, red above (symmetric around 0),
// each cell labelled with its value when there is room.
std::string svgHeatmap(const std::string& title, const std::string& rowLabel, const std::string& colLabel,
                       const std::vector<std::string>& rowNames, const std::vector<std::string>& colNames,
                       const std::vector<std::vector<double>>& values, const std::string& valueLabel);

}  // namespace embedlab
