#include "analysis/report/blocks.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "analysis/report/report.h"

namespace fs = std::filesystem;

namespace scalelab::report {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s)
    o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return o;
}

std::string to_markdown(const std::vector<Block>& blocks) {
  std::ostringstream md;
  for (const auto& b : blocks) {
    if (b.kind == Block::heading) md << b.text[0] << "\n\n";
    if (b.kind == Block::paragraph) md << b.text[0] << "\n\n";
    if (b.kind == Block::code) md << "```\n" << b.text[0] << "\n```\n\n";
    if (b.kind == Block::bullets) {
      for (const auto& t : b.text) md << "- " << t << "\n";
      md << "\n";
    }
    if (b.kind == Block::table) {
      for (size_t r = 0; r < b.rows.size(); ++r) {
        md << "|";
        for (const auto& c : b.rows[r]) md << " " << c << " |";
        md << "\n";
        if (r == 0) {
          md << "|";
          for (size_t c = 0; c < b.rows[0].size(); ++c) md << "---|";
          md << "\n";
        }
      }
      md << "\n";
    }
    if (b.kind == Block::figure)
      md << "![" << b.text[1] << "](figures/" << b.text[0] << ".png)\n\n*" << b.text[2]
         << "* (SVG: [figures/" << b.text[0] << ".svg](figures/" << b.text[0] << ".svg))\n\n";
  }
  return md.str();
}

namespace {

// Figures are drawn 900-1050 px wide: a 1200 px column shows them at their own size, so their
// legends stay legible in a 1400 px window; narrower windows scale them down.
const char* kStyle =
    "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;"
    "line-height:1.45}table{border-collapse:collapse;font-size:0.9em;margin:0.5em 0}"
    "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
    "figure{margin:1em 0}img{max-width:100%}figcaption{color:#444;font-style:italic}"
    "pre{background:#f6f6f6;padding:0.6em;overflow-x:auto}"
    ".headline{font-size:1.15em;border-left:4px solid #1f77b4;padding-left:0.7em}"
    ".live{background:#fff4d6;border:1px solid #e0b000;padding:0.5em}";

}  // namespace

std::string to_html(const std::vector<Block>& blocks, const std::string& fig_dir, int refresh_s) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">";
  if (refresh_s > 0) h << "<meta http-equiv=\"refresh\" content=\"" << refresh_s << "\">";
  h << "<title>scalelab report</title>\n<style>" << kStyle << "</style></head><body>\n";
  for (const auto& b : blocks) {
    if (b.kind == Block::heading) {
      size_t level = b.text[0].find(' ');
      h << "<h" << level << ">" << html_escape(b.text[0].substr(level + 1)) << "</h" << level
        << ">\n";
    }
    if (b.kind == Block::paragraph) {
      const bool live = b.text[0].rfind("Provisional:", 0) == 0;
      const bool headline = !live && b.text[0].rfind("Headline:", 0) == 0;
      h << (live       ? "<p class=\"live\">"
            : headline ? "<p class=\"headline\">"
                       : "<p>")
        << html_escape(b.text[0]) << "</p>\n";
    }
    if (b.kind == Block::code) h << "<pre>" << html_escape(b.text[0]) << "</pre>\n";
    if (b.kind == Block::bullets) {
      h << "<ul>\n";
      for (const auto& t : b.text) h << "<li>" << html_escape(t) << "</li>\n";
      h << "</ul>\n";
    }
    if (b.kind == Block::table) {
      h << "<table>\n";
      for (size_t r = 0; r < b.rows.size(); ++r) {
        h << "<tr>";
        for (const auto& c : b.rows[r])
          h << (r ? "<td>" : "<th>") << html_escape(c) << (r ? "</td>" : "</th>");
        h << "</tr>\n";
      }
      h << "</table>\n";
    }
    if (b.kind == Block::figure) {
      std::ifstream png(fs::path(fig_dir) / (b.text[0] + ".png"), std::ios::binary);
      if (!png) throw std::runtime_error(fig_dir + "/" + b.text[0] + ".png: figure missing");
      std::stringstream bytes;
      bytes << png.rdbuf();
      h << "<figure><img alt=\"" << html_escape(b.text[1]) << "\" src=\"data:image/png;base64,"
        << base64(bytes.str()) << "\"><figcaption>" << html_escape(b.text[2])
        << "</figcaption></figure>\n";
    }
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace scalelab::report
