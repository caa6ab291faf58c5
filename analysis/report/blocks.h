// A report is a list of blocks rendered twice: to Markdown (report.md, figures linked) and to one
// self-contained HTML page (report.html, figures inlined as base64). Used only inside report/.
#pragma once

#include <string>
#include <vector>

namespace scalelab::report {

struct Block {
  enum Kind { heading, paragraph, bullets, table, figure, code } kind;
  // heading/paragraph/code: [0]; bullets: items; figure: name, title, caption
  std::vector<std::string> text;
  std::vector<std::vector<std::string>> rows;  // table: header row first
};

std::string to_markdown(const std::vector<Block>& blocks);
// refresh_s > 0: the page reloads itself every refresh_s seconds (a study still running).
std::string to_html(const std::vector<Block>& blocks, const std::string& fig_dir, int refresh_s);

std::string fmt(const char* f, double v);  // printf of one number
std::string html_escape(const std::string& s);

}  // namespace scalelab::report
