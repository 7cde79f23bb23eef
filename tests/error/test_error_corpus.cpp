// Runs `mncc` on every malformed input of tests/error/cases.tsv and checks
// how it fails: the expected exit status, exactly one line on stderr that
// starts "mncc: error:", names the file and contains the expected text, and
// nothing that looks like a crash (internal error, sanitizer report).
//
// cases.tsv columns (tab-separated, '#' starts a comment line):
//   file      the bad file, relative to the generated corpus directory
//   command   mncc arguments; {file} is the bad file's path, {dir} the corpus dir
//   expected  a substring of the error message
//   exit      the expected exit status
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct Case {
    std::string file, command, expected;
    int exit_code = 1;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.file << " (mncc " << c.command << ")"; }

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep))
        if (sep != ' ' || !cur.empty()) out.push_back(cur);
    return out;
}

std::vector<Case> load_cases() {
    std::vector<Case> cases;
    std::ifstream f(MNCC_ERROR_CASES);
    std::string line;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> col = split(line, '\t');
        if (col.size() != 4) throw std::runtime_error("cases.tsv: bad line: " + line);
        cases.push_back({col[0], col[1], col[2], std::stoi(col[3])});
    }
    return cases;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
    return s;
}

std::string read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

struct Result {
    int status = -1;
    std::string err;
};

// Runs mncc with `args`, stdout discarded, stderr captured.
Result run_mncc(const std::vector<std::string>& args, const std::string& err_path) {
    std::vector<char*> argv{const_cast<char*>(MNCC_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    Result r;
    if (posix_spawn(&pid, MNCC_BIN, &fa, nullptr, argv.data(), environ) == 0) {
        int st = 0;
        waitpid(pid, &st, 0);
        r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    posix_spawn_file_actions_destroy(&fa);
    r.err = read(err_path);
    return r;
}

class ErrorCorpus : public testing::TestWithParam<Case> {};

TEST_P(ErrorCorpus, FailsWithOneLineMessage) {
    const Case& c = GetParam();
    const std::string dir = MNCC_ERROR_CORPUS, path = dir + "/" + c.file;
    std::vector<std::string> args;
    for (const std::string& a : split(c.command, ' '))
        args.push_back(replace_all(replace_all(a, "{file}", path), "{dir}", dir));
    const std::string err_path = dir + "/stderr." + std::to_string(getpid());  // ctest -j: one per process
    const Result r = run_mncc(args, err_path);
    std::remove(err_path.c_str());
    SCOPED_TRACE("mncc " + c.command + "\nstderr: " + r.err);
    EXPECT_EQ(r.status, c.exit_code);
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "expected exactly one line";
    EXPECT_EQ(r.err.rfind("mncc: error: ", 0), 0u);
    EXPECT_NE(r.err.find(path), std::string::npos) << "the message must name the file";
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << "expected: " << c.expected;
    for (const char* bad : {"internal error", "Sanitizer", "runtime error", "out of memory"})
        EXPECT_EQ(r.err.find(bad), std::string::npos) << bad;
}

std::string case_name(const testing::TestParamInfo<Case>& info) {
    std::string s = info.param.file;
    for (char& ch : s)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return std::to_string(info.index) + "_" + s;
}

INSTANTIATE_TEST_SUITE_P(Cases, ErrorCorpus, testing::ValuesIn(load_cases()), case_name);

}  // namespace
