// The mncc command end to end: help and exit codes, `run` on the shared trained
// models against the expected outputs, `synth` + `inspect`, and one clear error
// line (non-zero exit, no crash) for each kind of bad input file.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../support/shared_data.h"

namespace fs = std::filesystem;
using namespace mncc_test;

namespace {

struct Result {
    int status = -1;
    std::string out, err;
};

fs::path temp_dir() {
    static fs::path dir = [] {
        fs::path d = fs::temp_directory_path() / ("mncc_cli_" + std::to_string(::getpid()));
        fs::create_directories(d);
        return d;
    }();
    return dir;
}

// Runs `mncc ARGS`, capturing stdout, stderr and the exit status.
Result mncc(const std::string& args) {
    static int counter = 0;
    fs::path out = temp_dir() / ("out" + std::to_string(counter));
    fs::path err = temp_dir() / ("err" + std::to_string(counter++));
    std::string cmd = std::string(MNCC_BIN) + " " + args + " >" + out.string() + " 2>" + err.string();
    int raw = std::system(cmd.c_str());
    Result r;
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    r.out = slurp(out.string());
    r.err = slurp(err.string());
    return r;
}

void write(const fs::path& p, const std::string& bytes) {
    std::ofstream f(p, std::ios::binary);
    f << bytes;
}

fs::path shared() { return fs::path(MNCC_SHARED_DIR); }

int count_lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

// An error: exit 1, exactly one line on stderr that names `file` and says `reason`.
void expect_error(const Result& r, const std::string& file, const std::string& reason) {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("mncc: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(reason), std::string::npos) << "expected '" << reason << "' in: " << r.err;
}

}  // namespace

TEST(Cli, HelpVersionAndUsage) {
    Result r = mncc("--help");
    EXPECT_EQ(r.status, 0);
    for (const char* c : {"inspect", "run", "compile", "synth"}) EXPECT_NE(r.out.find(c), std::string::npos) << c;
    r = mncc("--version");
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out.rfind("mncc ", 0), 0u);
    for (const char* c : {"inspect", "run", "compile", "synth"}) {
        r = mncc(std::string(c) + " --help");
        EXPECT_EQ(r.status, 0) << c;
        EXPECT_NE(r.out.find(std::string("usage: mncc ") + c), std::string::npos) << r.out;
    }
    r = mncc("frobnicate");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
    r = mncc("inspect model.pb --bogus");
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("unknown option --bogus"), std::string::npos) << r.err;
    EXPECT_EQ(mncc("").status, 2);
}

TEST(Cli, RunMatchesExpectedOutputsOnSharedModels) {
    for (const char* model : {"mobilenet_v1_0.25_128_dequant", "mobilenet_v1_0.5_160_dequant"}) {
        fs::path pb = shared() / "models/derived" / (std::string(model) + "_frozen.pb");
        if (!fs::exists(pb)) GTEST_SKIP() << "no " << pb;
        for (const ExpectedRow& e : read_expected((shared() / "models/expected" / (std::string(model) + ".tsv")).string())) {
            fs::path saved = temp_dir() / (std::string(model) + "_" + e.photo + ".f32");
            Result r = mncc("run " + pb.string() + " --image " + (shared() / e.input).string() + " --labels " +
                            (shared() / "labels/imagenet_labels_1001.txt").string() + " --top 5 --save-output " +
                            saved.string());
            ASSERT_EQ(r.status, 0) << r.err;
            std::istringstream ss(r.out);
            std::string line;
            std::vector<int> top;
            while (std::getline(ss, line)) top.push_back(std::stoi(line.substr(0, line.find('\t'))));
            EXPECT_EQ(top, e.top5) << model << " " << e.photo << "\n" << r.out;
            std::vector<float> got = read_f32(saved.string()),
                               want = read_f32((shared() / "models/expected" / model / (e.photo + ".f32")).string());
            ASSERT_EQ(got.size(), 1001u);
            ASSERT_EQ(want.size(), 1001u);
            float worst = 0;
            for (size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
            EXPECT_LE(worst, 1e-5f) << model << " " << e.photo;
        }
    }
}

TEST(Cli, RunClassifiesOriginalPhoto) {
    fs::path pb = shared() / "models/derived/mobilenet_v1_0.5_160_dequant_frozen.pb";
    if (!fs::exists(pb)) GTEST_SKIP();
    Result r = mncc("run " + pb.string() + " --image " + (shared() / "images/cat.bmp").string() + " --labels " +
                    (shared() / "labels/labels_mobilenet_quant_v1_224.txt").string() + " --top 1");
    ASSERT_EQ(r.status, 0) << r.err;
    int top1 = std::stoi(r.out.substr(0, r.out.find('\t')));
    EXPECT_TRUE(top1 == 282 || top1 == 283 || top1 == 286) << r.out;
    EXPECT_NE(r.out.find("cat"), std::string::npos) << r.out;  // the label of the class
}

// Runs `command`, returning its stdout; the test fails on a non-zero exit.
std::vector<std::pair<int, double>> top_k(const std::string& command) {
    std::string out = (temp_dir() / "topk").string();
    EXPECT_EQ(std::system((command + " >" + out).c_str()), 0) << command;
    std::istringstream ss(slurp(out));
    std::vector<std::pair<int, double>> rows;
    for (std::string line; std::getline(ss, line);) {
        size_t a = line.find('\t'), b = line.rfind('\t');
        rows.push_back({std::stoi(line.substr(0, a)), std::stod(line.substr(b + 1))});
    }
    return rows;
}

// The compiled library's RGB8 entry point (crop, resize and normalisation
// compiled in), driven by examples/classify on the original photo files, agrees
// with the reference interpreter reading the same files.
TEST(Cli, CompiledExampleAgreesWithReferenceOnOriginalPhotos) {
    if (!fs::exists(EXAMPLE_MODEL)) GTEST_SKIP() << "example built from a synth model";
    for (const char* photo : {"cat.bmp", "bird.bmp", "dragonfly.bmp", "grace_hopper.bmp", "parrot.jpg", "hot_dog.jpg"}) {
        std::string image = (shared() / "images" / photo).string();
        auto lib = top_k(std::string(CLASSIFY_BIN) + " " + image + " /dev/null 5");
        auto ref = top_k(std::string(MNCC_BIN) + " run " + EXAMPLE_MODEL + " --image " + image + " --top 5");
        ASSERT_EQ(lib.size(), 5u) << photo;
        ASSERT_EQ(ref.size(), 5u) << photo;
        EXPECT_EQ(lib[0].first, ref[0].first) << photo;
        for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(lib[i].second, ref[i].second, 2e-5) << photo << " rank " << i;
    }
}

TEST(Cli, SynthInspectAndDumpIr) {
    fs::path pb = temp_dir() / "synth.pb";
    Result r = mncc("synth --alpha 0.25 --resolution 128 --seed 3 -o " + pb.string());
    ASSERT_EQ(r.status, 0) << r.err;
    r = mncc("inspect " + pb.string() + " --json");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("\"layers\""), std::string::npos);
    EXPECT_NE(r.out.find("\"depthwise\""), std::string::npos);
    fs::path dump = temp_dir() / "ir";
    r = mncc("inspect " + pb.string() + " --dump-ir " + dump.string());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("pointwise"), std::string::npos) << r.out;
    int files = 0;
    for (const auto& e : fs::directory_iterator(dump)) files += e.is_regular_file();
    EXPECT_GE(files, 8);  // one listing per pass
    r = mncc("synth --alpha -1 -o " + pb.string());
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.err.find("--alpha"), std::string::npos);
}

TEST(CliErrors, MissingFile) {
    fs::path p = temp_dir() / "does_not_exist.pb";
    expect_error(mncc("inspect " + p.string()), p.string(), "cannot read model file");
}

TEST(CliErrors, EmptyFile) {
    fs::path p = temp_dir() / "empty.pb";
    write(p, "");
    expect_error(mncc("inspect " + p.string()), p.string(), "empty");
}

TEST(CliErrors, RandomBytes) {
    fs::path p = temp_dir() / "random.pb";
    std::mt19937 rng(7);
    std::string bytes(4096, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    write(p, bytes);
    Result r = mncc("inspect " + p.string());
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(p.string()), std::string::npos) << r.err;
}

TEST(CliErrors, TruncatedModel) {
    fs::path src = shared() / "models/derived/mobilenet_v1_0.25_128_dequant_frozen.pb";
    if (!fs::exists(src)) GTEST_SKIP();
    std::string bytes = slurp(src.string());
    fs::path p = temp_dir() / "truncated.pb";
    write(p, bytes.substr(0, bytes.size() / 2 + 3));
    Result r = mncc("inspect " + p.string());
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(p.string()), std::string::npos) << r.err;
}

TEST(CliErrors, ImageThatIsNotAnImage) {
    fs::path model = temp_dir() / "tiny.pb";
    ASSERT_EQ(mncc("synth --alpha 0.25 --resolution 32 --classes 10 -o " + model.string()).status, 0);
    fs::path img = temp_dir() / "fake.jpg";
    write(img, "this is plain text, not a JPEG\n");
    expect_error(mncc("run " + model.string() + " --image " + img.string()), img.string(), "not an image");
}

// A uint8 TFLite model compiles to an integer API: uint8 in and out, with the
// model's input/output quantisation in the header and the manifest (its results
// are checked bit for bit by tests/quant.cmake).
TEST(CliCompile, QuantizedModelHasIntegerApi) {
    fs::path model = shared() / "models/mobilenet_v1_0.25_128_quant.tflite";
    if (!fs::exists(model)) GTEST_SKIP();
    fs::path out = temp_dir() / "quant_out";
    Result r = mncc("compile " + model.string() + " --name mq -o " + out.string());
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string h = slurp((out / "mq.h").string()), manifest = slurp((out / "mq.json").string());
    EXPECT_NE(h.find("int mq_run(const uint8_t* input_nhwc, uint8_t* output, void* arena);"), std::string::npos) << h;
    EXPECT_NE(h.find("#define MQ_INPUT_SCALE 0.0078125f"), std::string::npos) << h;
    EXPECT_NE(h.find("#define MQ_INPUT_ZERO_POINT 128"), std::string::npos) << h;
    EXPECT_NE(h.find("#define MQ_OUTPUT_SCALE 0.00390625f"), std::string::npos) << h;
    EXPECT_NE(h.find("#define MQ_OUTPUT_ZERO_POINT 0"), std::string::npos) << h;
    EXPECT_NE(manifest.find("\"dtype\": \"uint8\""), std::string::npos) << manifest;
    EXPECT_TRUE(fs::exists(out / "libmq.a"));
}
