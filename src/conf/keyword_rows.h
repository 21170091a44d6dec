// Helpers the keyword table's data files (keyword_rows_*.cc) are written with: block sets and one
// constructor per class. Internal to conf.
#pragma once

#include "conf/keyword_table.h"

namespace keel::conf::rows {

constexpr Blocks in(Block b) { return static_cast<Blocks>(b); }

constexpr KeywordRow implemented(std::string_view name, Blocks blocks, std::string_view note = {}) {
  return {name, blocks, Support::Implemented, note, false};
}
constexpr KeywordRow refused(std::string_view name, Blocks blocks, std::string_view why) {
  return {name, blocks, Support::Refused, why, false};
}
constexpr KeywordRow warned(std::string_view name, Blocks blocks, std::string_view why) {
  return {name, blocks, Support::Warned, why, false};
}
constexpr KeywordRow extension(std::string_view name, Blocks blocks, std::string_view note) {
  return {name, blocks, Support::Implemented, note, true};
}

// The checkers that connect to a real server (all but MISC_CHECK, FILE_CHECK and BFD_CHECK).
constexpr Blocks kConnecting = Block::HttpGet | Block::SslGet | Block::TcpCheck | Block::SmtpCheck |
                               Block::DnsCheck | Block::UdpCheck | Block::PingCheck;
// The checkers that take the timing keywords (FILE_CHECK and BFD_CHECK take none).
constexpr Blocks kCheckers = kConnecting | Block::MiscCheck;
constexpr Blocks kHttp = Block::HttpGet | Block::SslGet;

}  // namespace keel::conf::rows
