// Codegen checks with libclang: the emitted header and glue parse without
// diagnostics as C and C++, declare exactly the API the manifest describes, and
// node names full of C syntax (quotes, backslashes, comment ends, newlines, #,
// non-ASCII bytes, C++ keywords) never leak into tokens outside comments.
#include <clang-c/Index.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lower/codegen.h"

namespace {

const std::string kAot = MNCC_AOT_DIR;

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string str(CXString s) {
    std::string r = clang_getCString(s) ? clang_getCString(s) : "";
    clang_disposeString(s);
    return r;
}

// One in-memory file parsed by libclang; fails the test on any warning or error.
struct Parsed {
    CXIndex index = clang_createIndex(0, 0);
    CXTranslationUnit tu = nullptr;
    Parsed(const std::string& file, const std::string& text, std::vector<std::string> args) {
        args.push_back("-I" MNCC_HALIDE_RUNTIME_DIR);
        for (const char* w : {"-Wall", "-Wextra"}) args.push_back(w);
        std::vector<const char*> argv;
        for (const std::string& a : args) argv.push_back(a.c_str());
        CXUnsavedFile u{file.c_str(), text.c_str(), static_cast<unsigned long>(text.size())};
        tu = clang_parseTranslationUnit(index, file.c_str(), argv.data(), int(argv.size()), &u, 1,
                                        CXTranslationUnit_None);
    }
    ~Parsed() {
        if (tu) clang_disposeTranslationUnit(tu);
        clang_disposeIndex(index);
    }
    std::vector<std::string> diagnostics() const {
        std::vector<std::string> r;
        for (unsigned i = 0; i < clang_getNumDiagnostics(tu); ++i) {
            CXDiagnostic d = clang_getDiagnostic(tu, i);
            if (clang_getDiagnosticSeverity(d) >= CXDiagnostic_Warning)
                r.push_back(str(clang_formatDiagnostic(d, clang_defaultDiagnosticDisplayOptions())));
            clang_disposeDiagnostic(d);
        }
        return r;
    }
    // Every token of the main file: (kind, spelling).
    std::vector<std::pair<CXTokenKind, std::string>> tokens() const {
        const std::string file = str(clang_getTranslationUnitSpelling(tu));
        CXFile f = clang_getFile(tu, file.c_str());
        std::vector<std::pair<CXTokenKind, std::string>> r;
        CXSourceRange all = clang_getRange(clang_getLocationForOffset(tu, f, 0),
                                           clang_getLocationForOffset(tu, f, unsigned(size_)));
        CXToken* toks = nullptr;
        unsigned n = 0;
        clang_tokenize(tu, all, &toks, &n);
        for (unsigned i = 0; i < n; ++i) r.push_back({clang_getTokenKind(toks[i]), str(clang_getTokenSpelling(tu, toks[i]))});
        clang_disposeTokens(tu, toks, n);
        return r;
    }
    size_t size_ = 0;
};

struct Api {
    std::map<std::string, std::vector<std::string>> functions;   // name -> parameter types, return type first
    std::map<std::string, long long> constants;
};

// Collects function declarations and enum constants of the main file, recursing
// through `extern "C"` (an unexposed/linkage-spec declaration) but not into classes.
CXChildVisitResult collect(CXCursor c, CXCursor, CXClientData data) {
    Api& api = *static_cast<Api*>(data);
    if (!clang_Location_isFromMainFile(clang_getCursorLocation(c))) return CXChildVisit_Continue;
    switch (clang_getCursorKind(c)) {
        case CXCursor_FunctionDecl: {
            std::vector<std::string> sig{str(clang_getTypeSpelling(clang_getCursorResultType(c)))};
            for (int i = 0; i < clang_Cursor_getNumArguments(c); ++i)
                sig.push_back(str(clang_getTypeSpelling(clang_getCursorType(clang_Cursor_getArgument(c, unsigned(i))))));
            api.functions[str(clang_getCursorSpelling(c))] = sig;
            return CXChildVisit_Continue;
        }
        case CXCursor_EnumConstantDecl:
            api.constants[str(clang_getCursorSpelling(c))] = clang_getEnumConstantDeclValue(c);
            return CXChildVisit_Continue;
        case CXCursor_EnumDecl:
        case CXCursor_UnexposedDecl:
        case CXCursor_LinkageSpec:
        case CXCursor_TypedefDecl: return CXChildVisit_Recurse;
        default: return CXChildVisit_Continue;
    }
}

Api api_of(const Parsed& p) {
    Api api;
    clang_visitChildren(clang_getTranslationUnitCursor(p.tu), collect, &api);
    return api;
}

std::string upper(std::string s) {
    for (char& ch : s) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    return s;
}

TEST(CodegenClang, HeaderDeclaresExactlyTheManifestsApiInCAndCxx) {
    const std::string header = slurp(kAot + "/hand/hand.h");
    const nlohmann::json j = nlohmann::json::parse(slurp(kAot + "/hand/hand.json"));
    const std::string n = j["name"], N = upper(n);
    const auto& shape = j["input"]["shape"];
    const std::map<std::string, long long> want_constants{
        {N + "_INPUT_HEIGHT", shape[1]}, {N + "_INPUT_WIDTH", shape[2]}, {N + "_INPUT_CHANNELS", shape[3]},
        {N + "_INPUT_SIZE", shape[1].get<long long>() * shape[2].get<long long>() * shape[3].get<long long>()},
        {N + "_OUTPUT_SIZE", j["output"]["size"]}, {N + "_NUM_CLASSES", j["classes"]},
        {N + "_ARENA_BYTES", j["arena_bytes"]}, {N + "_ARENA_ALIGNMENT", j["arena_alignment"]},
        {N + "_OK", 0}, {N + "_NULL_POINTER", 1}, {N + "_BAD_SIZE", 2}, {N + "_MISALIGNED_ARENA", 3},
        {N + "_RUNTIME_FAILURE", 4}, {N + "_BUSY", 5}};
    const std::map<std::string, std::vector<std::string>> want_functions{
        {n + "_run", {"int", "const float *", "float *", "void *"}},
        {n + "_run_rgb8", {"int", "const uint8_t *", "int", "int", "int", "float *", "void *"}},
        {n + "_set_num_threads", {"int", "int"}},
        {n + "_hold_threads", {"int", "int"}},
        {n + "_status_string", {"const char *", "int"}},
        {n + "_arena_bytes", {"size_t"}}};
    for (const auto& args : std::vector<std::vector<std::string>>{{"-x", "c", "-std=c99", "-pedantic"},
                                                                  {"-x", "c++", "-std=c++17", "-pedantic"}}) {
        SCOPED_TRACE(args[1]);
        Parsed p("hand.h", header, args);
        ASSERT_NE(p.tu, nullptr);
        EXPECT_EQ(p.diagnostics(), std::vector<std::string>{});
        const Api api = api_of(p);
        EXPECT_EQ(api.functions, want_functions);
        EXPECT_EQ(api.constants, want_constants);
    }
}

// Emitted text for a model whose every name is hostile C/C++.
TEST(CodegenClang, HostileNodeNamesStayInComments) {
    const std::vector<std::string> names{
        "quote\"name", "back\\slash\\", "end */ comment /* open", "new\nline\r\n#define BAD 1",
        "#include <evil.h>", "caf\xc3\xa9 \xff\xfe bytes", "class", "operator", "namespace", "?\?/ trigraph",
        "// line comment", "R\"x(raw)x\""};
    mncc::ModelInfo m;
    m.name = "hostile";
    m.model_file = "dir/\"model*/\n#x.pb";
    m.input_name = names[0];
    m.output_name = names.back();
    m.in_h = m.in_w = 4, m.in_c = 3, m.output_size = 10, m.arena_bytes = 4096;
    m.target = "host", m.halide_target = "x86-64-linux", m.schedule = "x86-default", m.version = "0";
    for (size_t i = 0; i < names.size(); ++i) {
        mncc::EmittedLayer L;
        L.node_name = names[i];
        L.op = "Conv2D", L.kind = "conv", L.activation = "relu", L.knobs_json = "{}";
        L.fn_name = "hostile_f32_conv3x3s1_" + std::to_string(i);
        L.in_shape = {1, 4, 4, 3}, L.out_shape = {1, 4, 4, 3};
        L.in.extents = L.out.extents = {3, 4, 4};
        L.in.place = i == 0 ? mncc::Place::Input : mncc::Place::Arena;
        L.out.place = i + 1 == names.size() ? mncc::Place::Output : mncc::Place::Arena;
        m.layers.push_back(L);
    }
    const std::string header = mncc::emit_header(m);
    const std::string glue = mncc::emit_glue(m, "/* preprocess */\nstatic inline int mncc_preprocess_rgb8(const uint8_t*, int, int, int, int, float, float, float*) { return 0; }\n",
                                              "/* pool */\nnamespace mncc_rt { struct Pool { static void install() {} static Pool& instance() { static Pool p; return p; } void set_threads(int) {} bool hold(bool) { return true; } struct Scope { explicit Scope(Pool&) {} }; }; }\n");
    // The manifest is valid JSON (UTF-8): names survive, invalid bytes as U+FFFD.
    const nlohmann::json manifest = nlohmann::json::parse(mncc::emit_manifest(m));
    EXPECT_EQ(manifest["layers"][0]["name"], names[0]);
    EXPECT_EQ(manifest["layers"][3]["name"], names[3]);
    EXPECT_EQ(manifest["layers"][5]["name"], "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd bytes");
    struct Case {
        std::string file, text;
        std::vector<std::string> args;
    };
    const std::vector<Case> cases{{"hostile.h", header, {"-x", "c", "-std=c99", "-pedantic"}},
                                  {"hostile.h", header, {"-x", "c++", "-std=c++17", "-pedantic"}},
                                  {"hostile.cpp", glue, {"-x", "c++", "-std=c++17", "-I."}}};
    for (const Case& c : cases) {
        SCOPED_TRACE(c.file + " " + c.args[1]);
        // The glue includes "hostile.h": serve it from memory too via a real file next to it.
        std::ofstream("hostile.h", std::ios::binary) << header;
        Parsed p(c.file, c.text, c.args);
        p.size_ = c.text.size();
        ASSERT_NE(p.tu, nullptr);
        EXPECT_EQ(p.diagnostics(), std::vector<std::string>{});
        const auto toks = p.tokens();
        EXPECT_GT(toks.size(), 50u);
        // Words that only the names contain: none may become a token of its own.
        const std::set<std::string> name_words{"quote", "back", "slash", "comment", "open", "BAD", "evil",
                                               "caf", "bytes", "trigraph", "raw", "x"};
        for (const auto& [kind, spelling] : toks) {
            if (kind == CXToken_Comment || kind == CXToken_Literal) continue;
            EXPECT_EQ(name_words.count(spelling), 0u) << spelling;
            for (char ch : spelling) EXPECT_LT(static_cast<unsigned char>(ch), 0x80) << spelling;
        }
        // Literals hold no raw name text either (names only ever appear in comments).
        for (const auto& [kind, spelling] : toks) {
            if (kind != CXToken_Literal) continue;
            for (const std::string& name : names) EXPECT_EQ(spelling.find(name), std::string::npos) << spelling;
        }
    }
}

}  // namespace
