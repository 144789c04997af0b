#include "screen.hpp"

#include <curses.h>
#include <langinfo.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "error.hpp"

namespace rcuwatch::tui {

namespace {

enum ColorPair : short {
  kPairWarn = 1,
  kPairCrit,
  kPairHeader,
  kPairSort,
  kPairTitle,
  kPairStatus
};

void init_colors() {
  start_color();
  use_default_colors();  // keep the terminal's own background
  init_pair(kPairWarn, COLOR_YELLOW, -1);
  init_pair(kPairCrit, COLOR_RED, -1);
  init_pair(kPairHeader, COLOR_BLACK, COLOR_GREEN);
  init_pair(kPairSort, COLOR_BLACK, COLOR_CYAN);
  init_pair(kPairTitle, COLOR_CYAN, -1);
  init_pair(kPairStatus, COLOR_BLACK, COLOR_CYAN);
}

// Monochrome keeps every distinction with bold, reverse and underline.
attr_t attributes(Style style, bool color) {
  switch (style) {
    case Style::Normal:
      return A_NORMAL;
    case Style::Title:
      return color ? COLOR_PAIR(kPairTitle) | A_BOLD : A_BOLD;
    case Style::Label:
      return A_BOLD;
    case Style::ColumnHeader:
      return color ? COLOR_PAIR(kPairHeader) : A_REVERSE;
    case Style::SortColumn:
      return color ? COLOR_PAIR(kPairSort) | A_BOLD : A_REVERSE | A_BOLD | A_UNDERLINE;
    case Style::Warn:
      return color ? COLOR_PAIR(kPairWarn) | A_BOLD : A_BOLD;
    case Style::Crit:
      return color ? COLOR_PAIR(kPairCrit) | A_BOLD : A_BOLD | A_REVERSE;
    case Style::Dim:
      return A_DIM;
    case Style::Status:
      return color ? COLOR_PAIR(kPairStatus) : A_REVERSE;
  }
  return A_NORMAL;
}

std::optional<Key> translate(int ch) {
  using C = Key::Code;
  switch (ch) {
    case ERR:
      return std::nullopt;
    case KEY_UP:
      return Key::special(C::Up);
    case KEY_DOWN:
      return Key::special(C::Down);
    case KEY_LEFT:
      return Key::special(C::Left);
    case KEY_RIGHT:
      return Key::special(C::Right);
    case KEY_PPAGE:
      return Key::special(C::PageUp);
    case KEY_NPAGE:
      return Key::special(C::PageDown);
    case KEY_HOME:
      return Key::special(C::Home);
    case KEY_END:
      return Key::special(C::End);
    case KEY_ENTER:
    case '\n':
    case '\r':
      return Key::special(C::Enter);
    case KEY_BACKSPACE:
    case 127:
    case '\b':
      return Key::special(C::Backspace);
    case KEY_RESIZE:
      return Key::special(C::Resize);
    case '\t':
      return Key::special(C::Tab);
    case 27:
      return Key::special(C::Escape);
    default:
      break;
  }
  if (ch > 0 && ch < 0x80) return Key::character(static_cast<char>(ch));
  return std::nullopt;  // function keys and the like: ignored
}

// A fatal signal (SIGPIPE, SIGQUIT, a crash: SIGSEGV, SIGABRT...) ends the
// process without destructors; its handler gives the terminal back first:
// the terminal modes saved before curses took it, and the escape sequences
// that leave the alternate screen and show the cursor, prepared while the
// screen is taken because a handler may only write() and tcsetattr(). Then
// the signal is re-raised with its default action, so the exit status still
// says what killed the process. Global because a signal handler can reach
// nothing else; one Screen exists at a time.
struct FatalSignalRestore {
  static constexpr std::array<int, 13> kSignals = {SIGPIPE, SIGQUIT, SIGILL,  SIGTRAP, SIGABRT,
                                                   SIGBUS,  SIGFPE,  SIGSEGV, SIGSYS,  SIGXCPU,
                                                   SIGXFSZ, SIGUSR1, SIGUSR2};
  termios modes{};
  bool have_modes = false;
  char sequence[512] = {};
  size_t length = 0;
  std::array<struct sigaction, kSignals.size()> previous{};
};
FatalSignalRestore g_restore;
volatile sig_atomic_t g_restore_armed = 0;

extern "C" void on_fatal_signal(int signo) {
  if (g_restore_armed) {
    g_restore_armed = 0;
    [[maybe_unused]] ssize_t n = write(STDOUT_FILENO, g_restore.sequence, g_restore.length);
    if (g_restore.have_modes) tcsetattr(STDIN_FILENO, TCSANOW, &g_restore.modes);
  }
  raise(signo);  // SA_RESETHAND: the default action now
}

// terminfo's string for `cap`, appended to the restore sequence if the
// terminal has it.
void append_capability(const char* cap) {
  const char* text = tigetstr(const_cast<char*>(cap));
  if (text == nullptr || text == reinterpret_cast<char*>(-1)) return;
  const size_t n = std::strlen(text);
  if (g_restore.length + n >= sizeof(g_restore.sequence)) return;
  std::memcpy(g_restore.sequence + g_restore.length, text, n);
  g_restore.length += n;
}

// Called with the terminal modes from before curses, once curses is set up.
void arm_fatal_signal_restore(const termios* modes) {
  g_restore.have_modes = modes != nullptr;
  if (modes) g_restore.modes = *modes;
  g_restore.length = 0;
  for (const char* cap : {"sgr0", "cnorm", "rmkx", "rmcup"}) append_capability(cap);
  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  for (size_t i = 0; i < g_restore.kSignals.size(); i++)
    sigaction(g_restore.kSignals[i], &action, &g_restore.previous[i]);
  g_restore_armed = 1;
}

void disarm_fatal_signal_restore() {
  g_restore_armed = 0;
  for (size_t i = 0; i < g_restore.kSignals.size(); i++)
    sigaction(g_restore.kSignals[i], &g_restore.previous[i], nullptr);
}

}  // namespace

struct Screen::Terminal {
  SCREEN* screen = nullptr;
  ~Terminal() {
    if (screen == nullptr) return;
    disarm_fatal_signal_restore();
    endwin();
    delscreen(screen);
  }
};

bool color_wanted(bool no_color_flag) {
  const char* no_color = std::getenv("NO_COLOR");
  return !no_color_flag && (no_color == nullptr || no_color[0] == '\0');
}

Screen::Screen(bool color) : terminal_(std::make_unique<Terminal>()) {
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
    throw Error("rcuwatch top needs a terminal; use -b for batch output to a pipe or file",
                kExitUsage);
  // Escape alone is a key here (clear filter, cancel prompt): do not wait
  // the default second for an escape sequence to complete.
  if (std::getenv("ESCDELAY") == nullptr) set_escdelay(25);
  // Wide curses prints the sparkline's UTF-8 only in the user's locale.
  std::setlocale(LC_CTYPE, "");
  utf8_ = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  termios modes{};
  const bool have_modes = tcgetattr(STDIN_FILENO, &modes) == 0;
  // newterm, unlike initscr, returns NULL on an unknown TERM instead of exiting.
  terminal_->screen = newterm(nullptr, stdout, stdin);
  if (terminal_->screen == nullptr) {
    const char* term = std::getenv("TERM");
    throw Error(std::string("cannot use the terminal (TERM=") + (term ? term : "unset") + ")");
  }
  set_term(terminal_->screen);
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  curs_set(0);
  color_ = color && has_colors();
  if (color_) init_colors();
  arm_fatal_signal_restore(have_modes ? &modes : nullptr);
}

Screen::~Screen() = default;

TerminalSize Screen::size() const {
  int lines = 0, columns = 0;
  getmaxyx(stdscr, lines, columns);
  return TerminalSize{static_cast<size_t>(std::max(columns, 0)),
                      static_cast<size_t>(std::max(lines, 0))};
}

void Screen::draw(const Frame& frame) {
  werase(stdscr);
  const TerminalSize area = size();
  for (size_t y = 0; y < frame.size() && y < area.lines; ++y) {
    wmove(stdscr, static_cast<int>(y), 0);
    for (const Span& span : frame[y].spans) {
      const attr_t attr = attributes(span.style, color_);
      wattr_on(stdscr, attr, nullptr);
      // Writing the bottom-right cell makes curses scroll/return ERR; the
      // text is already cut to the width, so the error is harmless.
      waddstr(stdscr, span.text.c_str());
      wattr_off(stdscr, attr, nullptr);
    }
  }
  wnoutrefresh(stdscr);
  doupdate();
}

std::optional<Key> Screen::read_key(std::chrono::milliseconds timeout) {
  wtimeout(stdscr, static_cast<int>(timeout.count()));
  return translate(wgetch(stdscr));
}

}  // namespace rcuwatch::tui
