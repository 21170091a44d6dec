#include "conf/keyword_table.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "conf/binder.h"
#include "conf/keyword_rows.h"
#include "conf/reader.h"

namespace keel::conf {
namespace {

std::string readRepoFile(const std::string& path) {
  std::ifstream in(std::string(KEEL_SOURCE_DIR) + "/" + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// keepalived 2.2.7's keywords, from the list kept in the repository.
std::vector<std::string> keepalivedKeywords() {
  std::istringstream tsv(readRepoFile("tests/conformance/keepalived-2.2.7-keywords.tsv"));
  std::vector<std::string> out;
  std::string line;
  std::getline(tsv, line);  // the header
  while (std::getline(tsv, line)) {
    if (!line.empty()) out.push_back(line.substr(0, line.find('\t')));
  }
  return out;
}

TEST(KeywordTableTest, EveryKeepalivedKeywordHasARow) {
  std::vector<std::string> names = keepalivedKeywords();
  ASSERT_EQ(names.size(), 337u);
  std::set<std::string_view> rows;
  for (const KeywordRow& r : keywordRows()) rows.insert(r.name);
  std::vector<std::string> missing;
  for (const std::string& n : names) {
    if (!rows.contains(n)) missing.push_back(n);
  }
  EXPECT_TRUE(missing.empty()) << ::testing::PrintToString(missing);
}

TEST(KeywordTableTest, RowsAreWellFormed) {
  std::map<std::string_view, Blocks> seen;
  for (const KeywordRow& r : keywordRows()) {
    EXPECT_NE(r.blocks, 0u) << r.name;
    EXPECT_EQ(seen[r.name] & r.blocks, 0u) << r.name << " has two rows for one block";
    seen[r.name] |= r.blocks;
    if (r.support != Support::Implemented) {
      EXPECT_FALSE(r.note.empty()) << r.name;
    }
  }
}

// The binder is driven by the table: a block's bind table has exactly the block's Implemented
// keywords, plus Warned ones whose values it still checks.
TEST(KeywordTableTest, BindTablesMatchTheImplementedRows) {
  for (std::uint32_t i = 0; i < kBlockCount; ++i) {
    const auto block = static_cast<Block>(1u << i);
    std::set<std::string_view> bound;
    for (std::string_view n : boundKeywords(block)) bound.insert(n);
    for (const KeywordRow& r : keywordRows()) {
      if ((r.blocks & (1u << i)) == 0) continue;
      if (r.support == Support::Implemented) {
        EXPECT_TRUE(bound.contains(r.name)) << r.name << " in " << blockName(block);
      }
      if (r.support == Support::Refused) {
        EXPECT_FALSE(bound.contains(r.name)) << r.name << " in " << blockName(block);
      }
      bound.erase(r.name);
    }
    EXPECT_TRUE(bound.empty()) << blockName(block)
                               << ": bound without a row: " << ::testing::PrintToString(bound);
  }
}

// A configuration that puts `keyword 1` on line 2, column 2, inside `block`.
std::optional<std::string> inside(Block block, std::string_view keyword) {
  static const std::map<Block, std::pair<std::string, std::string>> kWrappers = {
      {Block::Top, {"\n", ""}},
      {Block::GlobalDefs, {"global_defs {\n", "}\n"}},
      {Block::VrrpScript, {"vrrp_script S {\n", "}\n"}},
      {Block::TrackFile, {"vrrp_track_file F {\n", "}\n"}},
      {Block::SyncGroup, {"vrrp_sync_group G {\n", "}\n"}},
      {Block::Instance, {"vrrp_instance VI_1 {\n", "}\n"}},
      {Block::Authentication, {"vrrp_instance VI_1 { authentication {\n", "}}\n"}},
      {Block::VirtualServer, {"virtual_server 10.0.0.1 80 {\n", "}\n"}},
      {Block::RealServer, {"virtual_server 10.0.0.1 80 { real_server 10.0.0.2 80 {\n", "}}\n"}},
      {Block::Url,
       {"virtual_server 10.0.0.1 80 { real_server 10.0.0.2 80 { HTTP_GET { url {\n", "}}}}\n"}},
      {Block::SmtpHost,
       {"virtual_server 10.0.0.1 80 { real_server 10.0.0.2 80 { SMTP_CHECK { host {\n", "}}}}\n"}},
  };
  std::string open;
  std::string close;
  if (auto it = kWrappers.find(block); it != kWrappers.end()) {
    std::tie(open, close) = it->second;
  } else if ((static_cast<Blocks>(block) & rows::kCheckers) != 0) {
    open = "virtual_server 10.0.0.1 80 { real_server 10.0.0.2 80 { " +
           std::string(blockName(block)) + " {\n";
    close = "}}}\n";
  } else {
    return std::nullopt;  // inside a refused block: never reached
  }
  return open + " " + std::string(keyword) + " 1\n" + close;
}

const Diagnostic* findAtLine2(const Diagnostics& diags, const std::string& message) {
  for (const Diagnostic& d : diags.all()) {
    if (d.message == message && d.where.line == 2 && d.where.col == 2) return &d;
  }
  return nullptr;
}

// Every row's class, through the binder, in every block it names.
TEST(KeywordTableTest, EachClassBehavesAsItSaysInEveryBlock) {
  for (const KeywordRow& r : keywordRows()) {
    for (Block block : blocksOf(r.blocks)) {
      auto text = inside(block, r.name);
      if (!text) continue;
      Diagnostics diags;
      (void)readConfigText("k.conf", *text + *text, {}, diags);
      std::string where = std::string(r.name) + " in " + std::string(blockName(block));
      std::string refused = "'" + std::string(r.name) + "' is refused: " + std::string(r.note);
      std::string warned =
          "'" + std::string(r.name) + "' has no effect in keel: " + std::string(r.note);
      int refusals = 0;
      int warnings = 0;
      for (const Diagnostic& d : diags.all()) {
        refusals += d.message == refused ? 1 : 0;
        warnings += d.message == warned ? 1 : 0;
        EXPECT_EQ(d.message.find("unknown keyword '" + std::string(r.name) + "'"),
                  std::string::npos)
            << where << ": " << d.message;
      }
      if (r.support == Support::Refused) {
        EXPECT_NE(findAtLine2(diags, refused), nullptr) << where << "\n" << diags.renderAll();
        EXPECT_GE(refusals, 2) << where;  // every time
      } else if (r.support == Support::Warned) {
        EXPECT_NE(findAtLine2(diags, warned), nullptr) << where << "\n" << diags.renderAll();
        EXPECT_EQ(warnings, 1) << where;  // once per parse
      } else {
        EXPECT_EQ(refusals + warnings, 0) << where;
      }
    }
  }
}

TEST(KeywordTableTest, UnknownKeywordsAreErrorsInTheirBlock) {
  Diagnostics diags;
  (void)readConfigText("k.conf", "global_defs {\n vrrp_garp_intervall 1\n}\n", {}, diags);
  ASSERT_EQ(diags.errors(), 1u);
  EXPECT_EQ(diags.all()[0].message, "unknown keyword 'vrrp_garp_intervall' in global_defs");
}

// docs/compatibility.md is generated from the table (keeld --keywords > docs/compatibility.md).
TEST(KeywordTableTest, TheCompatibilityPageIsTheTables) {
  EXPECT_EQ(readRepoFile("docs/compatibility.md"), compatibilityMarkdown())
      << "regenerate it: build/debug/src/app/keeld --keywords > docs/compatibility.md";
}

}  // namespace
}  // namespace keel::conf
