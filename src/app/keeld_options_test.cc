#include "app/keeld_options.h"

#include <syslog.h>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace keel::app {
namespace {

// Parses as keeld would on a host without /etc/keel/keel.conf.
base::Result<KeeldOptions> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "keeld");
  return parseKeeldArgs(args, [](const std::string&) { return false; });
}

std::string errorOf(std::vector<const char*> args) {
  auto r = parse(std::move(args));
  return r ? "<parsed>" : r.error().message;
}

TEST(KeeldOptionsTest, DefaultsAreKeepalivedsAndTheBundleParses) {
  auto o = parse({});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->config_file, "/etc/keepalived/keepalived.conf");
  EXPECT_FALSE(o->dont_fork);

  o = parse({"-lnD", "-f", "/x.conf"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->log_console);
  EXPECT_TRUE(o->dont_fork);
  EXPECT_TRUE(o->log_detail);
  EXPECT_EQ(o->config_file, "/x.conf");
}

TEST(KeeldOptionsTest, KeelsOwnConfigurationIsTheDefaultWhereItExists) {
  std::vector<std::string> asked;
  const auto keel_conf_exists = [&asked](const std::string& path) {
    asked.push_back(path);
    return path == "/etc/keel/keel.conf";
  };
  const std::vector<const char*> bare = {"keeld", "-n"};
  auto o = parseKeeldArgs(bare, keel_conf_exists);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->config_file, "/etc/keel/keel.conf");
  EXPECT_EQ(asked, std::vector<std::string>{"/etc/keel/keel.conf"});

  o = parseKeeldArgs(bare, [](const std::string&) { return false; });
  ASSERT_TRUE(o);
  EXPECT_EQ(o->config_file, "/etc/keepalived/keepalived.conf");

  // -f wins, wherever it stands, and an empty -f is refused rather than read as "no -f".
  const std::vector<const char*> given = {"keeld", "-f", "/x.conf", "-n"};
  o = parseKeeldArgs(given, keel_conf_exists);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->config_file, "/x.conf");
  const std::vector<const char*> empty = {"keeld", "--use-file="};
  o = parseKeeldArgs(empty, keel_conf_exists);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().message, "option -f (--use-file) needs a file name");
}

TEST(KeeldOptionsTest, ValuesInEveryGetoptSpelling) {
  for (std::vector<const char*> args : {std::vector<const char*>{"-f", "/a"},
                                        {"-f/a"},
                                        {"--use-file=/a"},
                                        {"--use-file", "/a"},
                                        {"-nf/a"},
                                        {"-nf", "/a"}}) {
    auto o = parse(args);
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->config_file, "/a");
  }
  auto o = parse({"-S", "local3", "--log-facility=daemon"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->log_facility, LOG_DAEMON);
}

TEST(KeeldOptionsTest, BadOptionsAreNamed) {
  EXPECT_EQ(errorOf({"--frobnicate"}), "Unknown option --frobnicate");
  EXPECT_EQ(errorOf({"-lQ"}), "Unknown option -Q");
  EXPECT_EQ(errorOf({"-f"}), "option requires an argument -- 'f'");
  EXPECT_EQ(errorOf({"--use-file"}), "option '--use-file' requires an argument");
  EXPECT_EQ(errorOf({"--dont-fork=yes"}), "option '--dont-fork' doesn't allow an argument");
  EXPECT_EQ(errorOf({"keepalived.conf"}), "Unexpected argument 'keepalived.conf'");
  EXPECT_EQ(errorOf({"-S", "local9"}),
            "invalid log facility \"local9\": expected 0-7, local0-local7, user or daemon");
}

TEST(KeeldOptionsTest, FlagsNotImplementedYetSaySoInsteadOfBeingIgnored) {
  EXPECT_EQ(errorOf({"-X"}), "option -X (--release-vips) is not implemented by keel yet");
  EXPECT_EQ(errorOf({"-n", "--address-monitoring"}),
            "option -a (--address-monitoring) is not implemented by keel yet");
  EXPECT_EQ(errorOf({"-t/var/log/x"}),
            "option -t (--config-test) with a log file is not implemented by keel yet; its "
            "messages go to stderr");
  auto r = parse({"-M"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, base::ErrorCode::Unsupported);
}

TEST(KeeldOptionsTest, OperatorFlags) {
  auto o = parse({"-nPdm", "-p", "/run/k.pid", "-r/run/v.pid", "--checkers_pid=/run/c.pid", "-s",
                  "blue", "-u", "027", "-B", "-R", "--all"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_TRUE(o->vrrp_only);
  EXPECT_FALSE(o->check_only);
  EXPECT_TRUE(o->dump_conf);
  EXPECT_TRUE(o->core_dump);
  EXPECT_EQ(o->pid_file, "/run/k.pid");
  EXPECT_EQ(o->extra_pid_files, (std::vector<std::string>{"/run/v.pid", "/run/c.pid"}));
  EXPECT_EQ(o->net_namespace, "blue");
  EXPECT_EQ(o->umask, 027u);
  o = parse({"--check"});
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->check_only);
  EXPECT_EQ(errorOf({"-P", "-C"}), "options -P (--vrrp) and -C (--check) exclude each other");
}

TEST(KeeldOptionsTest, UmaskTakesKeepalivedsNumericForms) {
  EXPECT_EQ(parseUmask("022"), 022u);
  EXPECT_EQ(parseUmask("0x12"), 022u);
  EXPECT_EQ(parseUmask("18"), 022u);
  EXPECT_EQ(parseUmask("0"), 0u);
  for (const char* bad : {"", "08", "0x", "1000", "-1", "22a", "0777 "}) {
    EXPECT_FALSE(parseUmask(bad)) << bad;
  }
  EXPECT_EQ(errorOf({"-u", "abc"}), "umask 'abc': expected a number from 0 to 0777");
}

TEST(KeeldOptionsTest, ConfigTestFlags) {
  auto o = parse({"-t", "-e", "-i", "lb1", "-f", "/x.conf"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_TRUE(o->config_test);
  EXPECT_TRUE(o->all_config);
  EXPECT_EQ(o->config_id, "lb1");
}

TEST(KeeldOptionsTest, HelpListsEveryFlagAndMarksTheMissingOnes) {
  std::string help = keeldHelp();
  for (const FlagSpec& f : keeldFlags()) {
    std::string line_start =
        f.short_name != '\0' ? std::string("-") + f.short_name + ", --" + std::string(f.long_name)
                             : "    --" + std::string(f.long_name);
    auto pos = help.find("  " + line_start);
    ASSERT_NE(pos, std::string::npos) << line_start;
    std::string line = help.substr(pos, help.find('\n', pos) - pos);
    EXPECT_EQ(line.find("(not implemented yet)") != std::string::npos, !f.implemented) << line;
  }
  EXPECT_NE(help.find("  -f, --use-file=FILE"), std::string::npos);
  EXPECT_NE(help.find("  -t, --config-test[=LOG_FILE]"), std::string::npos);
}

TEST(KeeldOptionsTest, SignumMatchesKeepalived) {
  EXPECT_EQ(*signalNumberFor("STOP"), SIGTERM);
  EXPECT_EQ(*signalNumberFor("RELOAD"), SIGHUP);
  EXPECT_EQ(*signalNumberFor("DATA"), SIGUSR1);
  EXPECT_EQ(*signalNumberFor("STATS"), SIGUSR2);
  EXPECT_EQ(*signalNumberFor("JSON"), SIGRTMIN + 2);
  EXPECT_FALSE(signalNumberFor("KILL"));
  auto o = parse({"--signum=RELOAD"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->signum, "RELOAD");
}

TEST(KeeldOptionsTest, GenhashTakesKeepalivedsGenhashOptionsWhenFirst) {
  auto o = parse({"--genhash", "-s", "10.0.0.1", "-p", "8443", "-u", "/index.html", "-S", "-V",
                  "www.example", "-P1.1", "--timeout=2.5"});
  ASSERT_TRUE(o) << o.error().message;
  ASSERT_TRUE(o->genhash);
  EXPECT_EQ(o->genhash->server, "10.0.0.1");
  EXPECT_EQ(o->genhash->port, 8443);
  EXPECT_EQ(o->genhash->url, "/index.html");
  EXPECT_TRUE(o->genhash->tls);
  EXPECT_EQ(o->genhash->virtualhost, "www.example");
  EXPECT_EQ(o->genhash->http_protocol, "1.1");
  EXPECT_EQ(o->genhash->timeout, std::chrono::milliseconds(2500));

  o = parse({"-T", "--server=h", "--port", "80", "--url", "/"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_FALSE(o->genhash->tls);
  EXPECT_EQ(o->genhash->timeout, std::chrono::seconds(5));
}

TEST(KeeldOptionsTest, GenhashRefusals) {
  EXPECT_EQ(errorOf({"-T", "-s", "h", "-p", "80"}),
            "genhash: -s SERVER, -p PORT and -u URL are required");
  EXPECT_EQ(errorOf({"-T", "-s", "h", "-p", "0", "-u", "/"}), "genhash: bad port '0'");
  EXPECT_EQ(errorOf({"-T", "-s", "h", "-p", "80", "-u", "/", "-x"}), "genhash: unknown option -x");
  EXPECT_EQ(errorOf({"-T", "-s"}), "genhash: option -s requires an argument");
  EXPECT_EQ(errorOf({"-T", "-s", "h", "-p", "80", "-u", "/", "-t", "0"}),
            "genhash: bad timeout '0': expected seconds 0-3600");
  EXPECT_EQ(errorOf({"-T", "-s", "h", "-p", "80", "-u", "/", "-P", "2"}),
            "genhash: protocol '2': expected 1.0, 1.0C or 1.1");
  EXPECT_EQ(errorOf({"-n", "--genhash"}), "option -T (--genhash) must be the first option");
}

}  // namespace
}  // namespace keel::app
