#include "conf/preprocessor.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace keel::conf {
namespace {

namespace fs = std::filesystem;
using V = std::vector<std::string>;

V texts(const std::vector<LogicalLine>& lines) {
  V out;
  for (const auto& l : lines) out.emplace_back(l.text());
  return out;
}

class PreprocessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel-pp-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.config_id = "main";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, std::string_view content) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p.string();
  }
  V text(std::string_view conf) {
    return texts(Preprocessor(options_).runText((dir_ / "k.conf").string(), conf, diags_));
  }

  fs::path dir_;
  PreprocessOptions options_;
  Diagnostics diags_;
};

TEST_F(PreprocessorTest, ConditionalLinesFollowTheConfigId) {
  EXPECT_EQ(text("@main router_id a\n@backup router_id b\n@^main x\n@^backup y\n@main\n"),
            (V{"router_id a", "y"}));
  EXPECT_TRUE(diags_.empty());
}

TEST_F(PreprocessorTest, DefinitionsExpandLateAndRecursively) {
  EXPECT_EQ(text("$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n"
                 "$ADDRESS_BASE_SUB=0\n"
                 "${ADDRESS_BASE}.100/32\n"
                 "$ADDRESS_BASE_SUB=10\n"
                 "${ADDRESS_BASE}.100/32\n"
                 "priority $P\n"
                 "$P=240\n"
                 "priority $P\n"
                 "script \"/bin/x $HOME ${UNDEF}\"\n"),
            (V{"10.2.0.100/32", "10.2.10.100/32", "priority $P", "priority 240",
               "script \"/bin/x $HOME ${UNDEF}\""}));
}

TEST_F(PreprocessorTest, ConditionalInsideADefinitionAppliesAfterExpansion) {
  EXPECT_EQ(text("@main $PRIORITY=240\n@backup $PRIORITY=200\npriority $PRIORITY\n"
                 "$IF_MAIN=@main\n$IF_MAIN weight 3\n$IF_BACKUP=@backup\n$IF_BACKUP weight 4\n"),
            (V{"priority 240", "weight 3"}));
}

TEST_F(PreprocessorTest, MultiLineDefinitionsReplayTheirLines) {
  EXPECT_EQ(text("$INSTANCE= \\\n"
                 "vrrp_instance VI_${NUM} { \\\n"
                 "  interface eth${NUM} \\\n"
                 "  @main priority 130 \\\n"
                 "}\n"
                 "$NUM=0\n$INSTANCE\n$NUM=1\n$INSTANCE\n"),
            (V{"vrrp_instance VI_0 {", "interface eth0", "priority 130", "}",
               "vrrp_instance VI_1 {", "interface eth1", "priority 130", "}"}));
}

TEST_F(PreprocessorTest, PredefinedNames) {
  options_.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "ROLE") return "edge";
    return std::nullopt;
  };
  V got = text("a ${_PWD}\nb ${_INSTANCE}\nc ${_ENV ROLE}\nd ${_HASH}${_BANG}\ne ${_RANDOM 5 5}\n");
  EXPECT_EQ(got, (V{"a " + dir_.string(), "b main", "c edge", "d \\#\\!", "e 5"}));
  V bad = text("x ${_RANDOM 9 1}\n");
  EXPECT_TRUE(bad.empty());
  ASSERT_EQ(diags_.errors(), 1u);
  EXPECT_EQ(diags_.all()[0].message, "${_RANDOM 9 1}: MIN is greater than MAX");
}

TEST_F(PreprocessorTest, SequenceAndListGenerators) {
  EXPECT_EQ(text("~SEQ(SUBNET, 0, 3) ip 10.0.${SUBNET}.1\n"),
            (V{"ip 10.0.0.1", "ip 10.0.1.1", "ip 10.0.2.1", "ip 10.0.3.1"}));
  EXPECT_EQ(text("~SEQx(S, 0x90, 0x10, 0xc0) fe80::${S}:1\n"),
            (V{"fe80::90:1", "fe80::a0:1", "fe80::b0:1", "fe80::c0:1"}));
  EXPECT_EQ(text("~SEQ(N, 3) n$N\n"), (V{"n1", "n2", "n3"}));
  EXPECT_EQ(text("~SEQ(N, 3, 1) n$N\n"), (V{"n3", "n2", "n1"}));
  EXPECT_EQ(text("~LST(IP, 1, 2) ~LST(IP1, 5, 6) 192.168.${IP}.${IP1}\n"),
            (V{"192.168.1.5", "192.168.1.6", "192.168.2.5", "192.168.2.6"}));
  EXPECT_EQ(text("~LST({IP, IP1}, {10,1},{20,4}) 192.168.${IP}.${IP1}\n"),
            (V{"192.168.10.1", "192.168.20.4"}));
  EXPECT_TRUE(diags_.empty()) << diags_.renderAll();
}

TEST_F(PreprocessorTest, HostileMacrosAreBoundedErrors) {
  options_.budgets.max_iterations = 1000;
  EXPECT_TRUE(text("$A=$A $A\nx $A\n").empty());
  EXPECT_TRUE(text("~SEQ(I, 1, 1000000000) x\n").empty());
  EXPECT_TRUE(text("~SEQ(I, 1, 0, 5) x\n~SEQ({FRED}, 1, 10) x\n~LST(A) x\n~SEQ(I, 1\n").empty());
  V msgs;
  for (const auto& d : diags_.all()) msgs.push_back(d.message);
  EXPECT_EQ(msgs,
            (V{"macro expansion nested deeper than 32 (the expansion-depth budget; a definition "
               "that uses itself?)",
               "~SEQ(I, 1, 1000000000) would run 1000000000 iterations, more than the 1000 left "
               "(the generator budget); reading stops here",
               "invalid ~SEQ(I, 1, 0, 5): the step must not be 0",
               "invalid ~SEQ({FRED}, 1, 10): the variable must be a name",
               "invalid ~LST(A): expected a variable and at least one value",
               "unterminated generator: expected ')'"}));
}

TEST_F(PreprocessorTest, ExponentialDefinitionsHitTheSizeCap) {
  options_.budgets.max_line_bytes = 4096;
  std::string conf = "$A0=xxxxxxxx\n";
  for (int i = 1; i <= 20; ++i) {
    conf += "$A" + std::to_string(i) + "=${A" + std::to_string(i - 1) + "}${A" +
            std::to_string(i - 1) + "}\n";
  }
  conf += "v ${A20}\n";
  EXPECT_TRUE(text(conf).empty());
  ASSERT_EQ(diags_.errors(), 1u);
  EXPECT_EQ(diags_.all()[0].message,
            "macro expansion longer than 4096 bytes (the line-bytes budget)");
}

TEST_F(PreprocessorTest, IncludesResolveRelativeToTheIncludingFileWithGlobAndBraces) {
  write("conf.d/a.conf", "in a\ninclude ../sub/{x,y}.conf\n");
  write("conf.d/b.conf", "in b\n");
  write("sub/x.conf", "in x\n");
  write("sub/y.conf", "in y\n");
  std::string main = write("keepalived.conf", "top\ninclude conf.d/*.conf\nbottom\n");
  auto lines = Preprocessor(options_).run(main, diags_);
  ASSERT_TRUE(lines);
  EXPECT_EQ(texts(*lines), (V{"top", "in a", "in x", "in y", "in b", "bottom"}));
  EXPECT_EQ((*lines)[2].where.file, (dir_ / "conf.d/../sub/x.conf").string());
  EXPECT_EQ((*lines)[2].where.line, 1);
  EXPECT_TRUE(diags_.empty()) << diags_.renderAll();
}

TEST_F(PreprocessorTest, IncludeLoopsAndNonRegularFilesAreErrors) {
  write("a.conf", "a\ninclude b.conf\n");
  write("b.conf", "b\ninclude a.conf\n");
  std::string self = write("self.conf", "s\ninclude self.conf\n");
  ASSERT_EQ(::mkfifo((dir_ / "fifo.conf").c_str(), 0600), 0);
  std::string main = write("main.conf",
                           "include a.conf\ninclude self.conf\ninclude fifo.conf\n"
                           "includem missing.conf\ninclude missing.conf\n");
  auto lines = Preprocessor(options_).run(main, diags_);
  ASSERT_TRUE(lines);
  EXPECT_EQ(texts(*lines), (V{"a", "b", "s"}));
  V msgs;
  for (const auto& d : diags_.all()) {
    msgs.push_back(std::string(severityName(d.severity)) + ": " + d.message);
  }
  EXPECT_EQ(msgs,
            (V{"error: include loop: " + (dir_ / "a.conf").string() + " is already being read",
               "error: include loop: " + self + " is already being read",
               "error: cannot include " + (dir_ / "fifo.conf").string() + ": not a regular file",
               "error: include missing.conf matched no file",
               "warning: include missing.conf matched no file (ignored)"}));
}

TEST_F(PreprocessorTest, IncludeDepthAndTotalSizeAreCapped) {
  for (int i = 0; i < 40; ++i) {
    write("d" + std::to_string(i) + ".conf",
          "x" + std::to_string(i) + "\ninclude d" + std::to_string(i + 1) + ".conf\n");
  }
  auto deep = Preprocessor(options_).run((dir_ / "d0.conf").string(), diags_);
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->size(), 33u);  // the main file and 32 levels of includes
  ASSERT_EQ(diags_.errors(), 1u);
  EXPECT_EQ(diags_.all()[0].message, "includes nested deeper than 32 (the include-depth budget)");

  Diagnostics sized;
  options_.budgets.max_total_bytes = 100;
  write("big.conf", std::string(200, 'y') + "\n");
  std::string main = write("sized.conf", "include big.conf\nafter\n");
  auto lines = Preprocessor(options_).run(main, sized);
  ASSERT_TRUE(lines);
  EXPECT_TRUE(lines->empty());  // reading stops at the cap
  ASSERT_EQ(sized.errors(), 1u);
  EXPECT_EQ(sized.all()[0].message,
            "more than 100 bytes of files (the file-bytes budget); reading stops here");
}

TEST_F(PreprocessorTest, MissingMainFileIsNotFound) {
  auto r = Preprocessor(options_).run((dir_ / "nope.conf").string(), diags_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, base::ErrorCode::NotFound);
}

}  // namespace
}  // namespace keel::conf
