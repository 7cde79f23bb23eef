// Front end on small hand-made GraphDefs: every supported op's translation,
// and one malformed input per rule, checking the message.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <unistd.h>

#include "frontend/frontend.h"
#include "frontend/synth.h"
#include "proto/tensorflow_graph.pb.h"
#include "support/error.h"

namespace mncc {
namespace {

namespace tf = tensorflow;
using Ints = std::vector<int64_t>;

// A GraphDef under construction.
struct Builder {
    tf::GraphDef gd;

    tf::NodeDef* node(const std::string& name, const std::string& op, std::vector<std::string> inputs = {}) {
        tf::NodeDef* n = gd.add_node();
        n->set_name(name);
        n->set_op(op);
        for (auto& s : inputs) n->add_input(s);
        return n;
    }
    tf::NodeDef* placeholder(const std::string& name, Ints shape, tf::DataType dt = tf::DT_FLOAT) {
        tf::NodeDef* n = node(name, "Placeholder");
        (*n->mutable_attr())["dtype"].set_type(dt);
        auto* s = (*n->mutable_attr())["shape"].mutable_shape();
        for (int64_t d : shape) s->add_dim()->set_size(d);
        return n;
    }
    tf::TensorProto* constant(const std::string& name, tf::DataType dt, Ints shape) {
        tf::NodeDef* n = node(name, "Const");
        (*n->mutable_attr())["dtype"].set_type(dt);
        tf::TensorProto* t = (*n->mutable_attr())["value"].mutable_tensor();
        t->set_dtype(dt);
        for (int64_t d : shape) t->mutable_tensor_shape()->add_dim()->set_size(d);
        return t;
    }
    void fconst(const std::string& name, Ints shape, const std::vector<float>& v) {
        std::string bytes(v.size() * 4, '\0');
        std::memcpy(bytes.data(), v.data(), bytes.size());  // the test hosts are little-endian
        constant(name, tf::DT_FLOAT, shape)->set_tensor_content(bytes);
    }
    void iconst(const std::string& name, Ints shape, const std::vector<int32_t>& v) {
        tf::TensorProto* t = constant(name, tf::DT_INT32, shape);
        for (int32_t x : v) t->add_int_val(x);
    }
    tf::NodeDef* conv(const std::string& name, const std::string& x, const std::string& w, Ints strides = {1, 1, 1, 1},
                      const char* padding = "SAME", const char* op = "Conv2D") {
        tf::NodeDef* n = node(name, op, {x, w});
        (*n->mutable_attr())["T"].set_type(tf::DT_FLOAT);
        set_ints(n, "strides", strides);
        (*n->mutable_attr())["padding"].set_s(padding);
        return n;
    }
    static void set_ints(tf::NodeDef* n, const char* key, Ints v) {
        auto* l = (*n->mutable_attr())[key].mutable_list();
        l->clear_i();
        for (int64_t x : v) l->add_i(x);
    }
    tf::NodeDef* find(const std::string& name) {
        for (auto& n : *gd.mutable_node())
            if (n.name() == name) return &n;
        throw std::runtime_error("no node " + name);
    }
    std::string bytes() const { return gd.SerializeAsString(); }
};

// x [1,8,8,3] -> Conv2D 3x3 (w via Identity "w/read") -> Relu6 "out".
Builder tiny() {
    Builder b;
    b.placeholder("x", {1, 8, 8, 3});
    b.fconst("w", {3, 3, 3, 4}, std::vector<float>(108, 0.5f));
    b.node("w/read", "Identity", {"w"});
    b.conv("conv", "x", "w/read");
    b.node("out", "Relu6", {"conv"});
    return b;
}

Graph parse(const Builder& b, const FrontendOptions& o = {}) { return parse_tf_graphdef(b.bytes(), "m.pb", o); }

// The message of the mncc::Error parsing throws ("" if it parses).
std::string error_of(const std::string& bytes, const FrontendOptions& o = {}) {
    try {
        parse_tf_graphdef(bytes, "m.pb", o);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}
std::string error_of(const Builder& b, const FrontendOptions& o = {}) { return error_of(b.bytes(), o); }

#define EXPECT_ERROR(expr, ...)                                                            \
    do {                                                                                   \
        std::string msg_ = (expr);                                                         \
        EXPECT_FALSE(msg_.empty()) << "no error";                                          \
        for (const char* part : {__VA_ARGS__}) EXPECT_NE(msg_.find(part), std::string::npos) << msg_; \
    } while (0)

const Node& by_name(const Graph& g, const std::string& name) {
    for (const Node& n : g.nodes)
        if (n.name == name) return n;
    throw std::runtime_error("no node " + name);
}

// ---- translation ---------------------------------------------------------

TEST(FrontendOps, TinyConvBindsWeightsThroughIdentity) {
    Graph g = parse(tiny());
    EXPECT_EQ(g.source_file, "m.pb");
    EXPECT_EQ(g.node(g.output).name, "out");
    EXPECT_EQ(g.node(g.output).op, Op::Relu6);
    const Node& c = by_name(g, "conv");
    EXPECT_EQ(c.inputs, std::vector<int>{g.input});
    EXPECT_EQ(c.weights.shape, (Shape{3, 3, 3, 4}));
    EXPECT_EQ(c.weights.data, std::vector<float>(108, 0.5f));
    EXPECT_TRUE(c.bias.data.empty());
    EXPECT_EQ(c.shape, (Shape{1, 8, 8, 4}));
    EXPECT_EQ(c.pad_top + c.pad_bottom + c.pad_left + c.pad_right, 4);
    EXPECT_EQ(g.nodes.size(), 3u);  // Input, Conv2D, Relu6: no Const, no weight Identity
}

TEST(FrontendOps, SamePadsAndValid) {
    // 7 with k 3 s 2 SAME -> 4, total pad 2 (1,1); 8 -> 4, total 1 (0,1);
    // VALID 8 k 3 s 2 -> 3.
    for (auto [size, pad, out, top, bottom] :
         std::vector<std::tuple<int, const char*, int, int, int>>{{7, "SAME", 4, 1, 1}, {8, "SAME", 4, 0, 1}, {8, "VALID", 3, 0, 0}}) {
        Builder b;
        b.placeholder("x", {1, size, size, 3});
        b.fconst("w", {3, 3, 3, 2}, std::vector<float>(54, 1));
        b.conv("c", "x", "w", {1, 2, 2, 1}, pad);
        Graph g = parse(b);
        const Node& c = g.node(g.output);
        EXPECT_EQ(c.shape, (Shape{1, out, out, 2}));
        EXPECT_EQ(c.pad_top, top);
        EXPECT_EQ(c.pad_bottom, bottom);
        EXPECT_EQ(c.pad_left, top);
        EXPECT_EQ(c.pad_right, bottom);
        EXPECT_EQ(c.padding, std::string(pad) == "SAME" ? Padding::Same : Padding::Valid);
    }
}

TEST(FrontendOps, DataPathIdentityKeptControlInputsIgnored) {
    Builder b = tiny();
    b.node("id", "Identity", {"out", "^w"});
    b.node("sm", "Softmax", {"id:0"});
    Graph g = parse(b);
    const Node& id = by_name(g, "id");
    EXPECT_EQ(id.op, Op::Identity);
    EXPECT_EQ(id.inputs, std::vector<int>{by_name(g, "out").id});
    EXPECT_EQ(g.node(g.output).name, "sm");
    EXPECT_EQ(g.node(g.output).inputs, std::vector<int>{id.id});
}

TEST(FrontendOps, UnfusedBatchNormMeanPadMatMul) {
    Builder b;
    b.placeholder("x", {1, 4, 4, 2});
    b.fconst("scale", {2}, {2, 3});
    b.node("mul", "Mul", {"x", "scale"});
    b.fconst("offset", {}, {0.5f});
    b.node("add", "Add", {"offset", "mul"});  // constant first works too
    b.iconst("paddings", {4, 2}, {0, 0, 1, 2, 0, 1, 0, 0});
    b.node("pad", "Pad", {"add", "paddings"});
    b.iconst("axes", {2}, {1, 2});
    tf::NodeDef* mean = b.node("mean", "Mean", {"pad", "axes"});
    (*mean->mutable_attr())["keep_dims"].set_b(false);
    b.fconst("fc", {3, 2}, {1, 2, 3, 4, 5, 6});  // [cout=3, cin=2]
    tf::NodeDef* mm = b.node("mm", "MatMul", {"mean", "fc"});
    (*mm->mutable_attr())["transpose_b"].set_b(true);
    b.fconst("fcb", {3}, {0, 0, 1});
    b.node("bias", "BiasAdd", {"mm", "fcb"});
    Graph g = parse(b);
    const Node& mul = by_name(g, "mul");
    EXPECT_EQ(mul.op, Op::Mul);
    EXPECT_EQ(mul.value.shape, (Shape{2}));
    EXPECT_EQ(mul.value.data, (std::vector<float>{2, 3}));
    const Node& add = by_name(g, "add");
    EXPECT_EQ(add.op, Op::Add);
    EXPECT_EQ(add.inputs, std::vector<int>{mul.id});
    EXPECT_EQ(add.value.shape, (Shape{1}));
    const Node& pad = by_name(g, "pad");
    EXPECT_EQ(pad.op, Op::Pad);
    EXPECT_EQ(pad.padding, Padding::Explicit);
    EXPECT_EQ(pad.shape, (Shape{1, 7, 5, 2}));
    EXPECT_EQ(pad.pad_top, 1);
    EXPECT_EQ(pad.pad_bottom, 2);
    EXPECT_EQ(pad.pad_left, 0);
    EXPECT_EQ(pad.pad_right, 1);
    const Node& m = by_name(g, "mean");
    EXPECT_EQ(m.op, Op::Mean);
    EXPECT_EQ(m.axes, (Ints{1, 2}));
    EXPECT_FALSE(m.keep_dims);
    EXPECT_EQ(m.shape, (Shape{1, 2}));
    const Node& fc = by_name(g, "mm");
    EXPECT_EQ(fc.op, Op::FullyConnected);
    EXPECT_EQ(fc.weights.shape, (Shape{2, 3}));
    EXPECT_EQ(fc.weights.data, (std::vector<float>{1, 3, 5, 2, 4, 6}));  // transposed to [cin, cout]
    EXPECT_EQ(fc.shape, (Shape{1, 3}));
    EXPECT_EQ(g.node(g.output).op, Op::BiasAdd);
}

TEST(FrontendOps, MeanKeepDimsSqueezeReshapeSplatConst) {
    Builder b;
    b.placeholder("x", {1, 3, 3, 4});
    b.iconst("axes", {2}, {-3, -2});
    tf::NodeDef* mean = b.node("mean", "Mean", {"x", "axes"});
    (*mean->mutable_attr())["keep_dims"].set_b(true);
    b.node("sq", "Squeeze", {"mean"});  // no squeeze_dims: all size-1 dims
    tf::TensorProto* t = b.constant("ones", tf::DT_FLOAT, {4});
    t->add_float_val(1.5f);  // one value, broadcast
    b.node("add", "AddV2", {"sq", "ones"});
    b.iconst("shape", {3}, {2, -1, 1});
    b.node("r", "Reshape", {"add", "shape"});
    Graph g = parse(b);
    EXPECT_EQ(by_name(g, "mean").shape, (Shape{1, 1, 1, 4}));
    EXPECT_EQ(by_name(g, "sq").shape, (Shape{4}));
    EXPECT_EQ(by_name(g, "sq").axes, (Ints{0, 1, 2}));
    EXPECT_EQ(by_name(g, "add").value.data, (std::vector<float>(4, 1.5f)));
    EXPECT_EQ(by_name(g, "r").shape, (Shape{2, 2, 1}));
}

TEST(FrontendOps, FusedBatchNormV3AndTwoInputAdd) {
    Builder b;
    b.placeholder("x", {1, 2, 2, 2});
    for (const char* p : {"g", "be", "m", "v"}) b.fconst(p, {2}, {0.5f, 2});
    tf::NodeDef* bn = b.node("bn", "FusedBatchNormV3", {"x", "g", "be", "m", "v"});
    (*bn->mutable_attr())["is_training"].set_b(false);
    (*bn->mutable_attr())["epsilon"].set_f(0.01f);
    b.node("sum", "AddV2", {"bn", "x"});
    Graph g = parse(b);
    const Node& n = by_name(g, "bn");
    EXPECT_EQ(n.op, Op::BatchNorm);
    EXPECT_FLOAT_EQ(n.bn_epsilon, 0.01f);
    EXPECT_EQ(n.bn_var.data, (std::vector<float>{0.5f, 2}));
    const Node& s = g.node(g.output);
    EXPECT_EQ(s.op, Op::Add);
    EXPECT_EQ(s.inputs, (std::vector<int>{n.id, g.input}));
}

TEST(FrontendOps, OptionsOverrideInputAndOutput) {
    Builder b = tiny();
    b.node("other", "Relu", {"conv"});  // two sinks: "out" and "other"
    EXPECT_ERROR(error_of(b), "m.pb: ", "several candidate output nodes", "'out'", "'other'", "--output");
    FrontendOptions o;
    o.output_name = "other:0";
    Graph g = parse(b, o);
    EXPECT_EQ(g.node(g.output).name, "other");
    EXPECT_EQ(g.node(g.output).op, Op::Relu);
    o.output_name = "conv";
    EXPECT_EQ(parse(b, o).node(parse(b, o).output).op, Op::Conv2D);

    Builder two = tiny();
    two.placeholder("y", {1, 8, 8, 3});
    EXPECT_ERROR(error_of(two), "several Placeholder nodes", "'x'", "'y'", "--input");
    FrontendOptions oi;
    oi.input_name = "x";
    EXPECT_EQ(parse(two, oi).node(parse(two, oi).input).name, "x");
    oi.input_name = "y";  // "y" has no consumers: it is its own output, "out" never reached
    oi.output_name = "out";
    EXPECT_ERROR(error_of(two, oi), "node 'x' (Placeholder)", "second network input");
    oi.input_name = "nope";
    EXPECT_ERROR(error_of(two, oi), "--input 'nope' names no node");
    oi.input_name = "conv";
    EXPECT_ERROR(error_of(two, oi), "--input must name a Placeholder");
}

TEST(FrontendOps, LoadModelFormats) {
    auto dir = std::filesystem::temp_directory_path() / ("mncc_fe_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& bytes) {
        std::ofstream(dir / name, std::ios::binary) << bytes;
        return (dir / name).string();
    };
    std::string pb = write("tiny.pb", tiny().bytes());
    EXPECT_EQ(load_model(pb).nodes.size(), 3u);
    EXPECT_EQ(load_tf_graphdef(pb).source_file, pb);
    // A GraphDef under another name is still read by contents.
    EXPECT_EQ(load_model(write("tiny.graph", tiny().bytes())).nodes.size(), 3u);
    // ONNX-like bytes (field 1 varint) are not a GraphDef.
    std::string onnx = write("m.onnx", std::string("\x08\x07\x12\x04test", 8));
    try {
        load_model(onnx);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind(onnx + ": unknown model format", 0), 0u) << e.what();
    }
    EXPECT_THROW(load_model(write("empty.tflite", "")), Error);
    try {
        load_model((dir / "missing.pb").string());
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("missing.pb: cannot read model file"), std::string::npos) << e.what();
    }
    std::filesystem::remove_all(dir);
}

// ---- malformed files -----------------------------------------------------

TEST(FrontendErrors, EmptyFile) {
    EXPECT_EQ(error_of(std::string()), "m.pb: empty file");
    auto p = std::filesystem::temp_directory_path() / ("mncc_empty_" + std::to_string(::getpid()) + ".pb");
    std::ofstream(p).close();
    try {
        load_tf_graphdef(p.string());
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), p.string() + ": empty file");
    }
    std::filesystem::remove(p);
}

TEST(FrontendErrors, FileTooLarge) {
    auto p = std::filesystem::temp_directory_path() / ("mncc_big_" + std::to_string(::getpid()) + ".pb");
    std::ofstream(p).close();
    std::filesystem::resize_file(p, uint64_t(kMaxModelFileBytes) + 1);  // sparse: no disk used
    for (auto load : {&load_tf_graphdef, &load_model}) {
        try {
            load(p.string(), {});
            ADD_FAILURE();
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(": file too large (1073741825 bytes"), std::string::npos) << e.what();
        }
    }
    std::filesystem::remove(p);
}

TEST(FrontendErrors, TruncatedNeverCrashes) {
    SynthOptions o;
    o.alpha = 0.25;
    o.resolution = 32;
    o.classes = 10;
    const std::string bytes = synth_tf_graphdef(o);
    for (size_t cut : {size_t(1), size_t(2), size_t(7), size_t(100), bytes.size() / 3, bytes.size() / 2,
                       bytes.size() * 9 / 10, bytes.size() - 1}) {
        std::string msg = error_of(bytes.substr(0, cut));
        EXPECT_EQ(msg.rfind("m.pb: ", 0), 0u) << cut << ": " << msg;
    }
    EXPECT_ERROR(error_of(bytes.substr(0, bytes.size() / 2)), "not a valid TensorFlow GraphDef");
}

// Corrupt bytes anywhere in a valid file: the reader either accepts the
// result or throws mncc::Error naming the file, nothing else.
TEST(FrontendErrors, CorruptedBytesNeverCrash) {
    SynthOptions o;
    o.alpha = 0.25;
    o.resolution = 16;
    o.classes = 4;
    const std::string good = synth_tf_graphdef(o);
    uint64_t s = 7;
    for (int trial = 0; trial < 300; ++trial) {
        std::string bytes = good;
        for (int k = 0; k < 1 + trial % 4; ++k) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            bytes[(s >> 33) % bytes.size()] ^= char(1 + (s >> 20) % 255);
        }
        try {
            parse_tf_graphdef(bytes, "m.pb");
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()).rfind("m.pb: ", 0), 0u) << e.what();
        }
    }
}

TEST(FrontendErrors, RandomBytes) {
    uint64_t s = 42;
    for (int trial = 0; trial < 20; ++trial) {
        std::string bytes(64 + trial * 50, '\0');
        for (char& c : bytes) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            c = char(s >> 56);
        }
        std::string msg = error_of(bytes);
        EXPECT_EQ(msg.rfind("m.pb: ", 0), 0u) << msg;
    }
}

TEST(FrontendErrors, NoNodesTooManyNodes) {
    Builder b;
    b.gd.mutable_versions()->set_producer(26);
    EXPECT_EQ(error_of(b), "m.pb: graph has no nodes");
    for (int i = 0; i <= kMaxNodes; ++i) b.node("n" + std::to_string(i), "NoOp");
    EXPECT_ERROR(error_of(b), "m.pb: graph has 100001 nodes, limit 100000");
}

TEST(FrontendErrors, UnsupportedOp) {
    Builder b = tiny();
    b.find("out")->set_op("Sigmoid");
    EXPECT_EQ(error_of(b), "m.pb: node 'out' (Sigmoid): unsupported op 'Sigmoid'");
}

TEST(FrontendErrors, MissingInputNode) {
    Builder b = tiny();
    b.find("out")->set_input(0, "nowhere");
    EXPECT_EQ(error_of(b), "m.pb: node 'out' (Relu6): input 'nowhere' refers to a missing node");
}

TEST(FrontendErrors, DuplicateName) {
    Builder b = tiny();
    b.node("conv", "Relu", {"x"});
    EXPECT_ERROR(error_of(b), "node 'conv' (Relu): duplicate node name");
}

TEST(FrontendErrors, Cycle) {
    Builder b;
    b.placeholder("x", {1, 2, 2, 1});
    b.node("a", "AddV2", {"x", "b"});
    b.node("b", "Relu", {"a"});
    b.node("out", "Softmax", {"b"});
    EXPECT_ERROR(error_of(b), "m.pb: node '", "graph has a cycle through node '");
}

TEST(FrontendErrors, OutputPorts) {
    Builder b = tiny();
    b.find("out")->set_input(0, "conv:1");
    EXPECT_EQ(error_of(b), "m.pb: node 'out' (Relu6): uses output 1 of 'conv'; only output 0 is supported");
    b.find("out")->set_input(0, "conv:x");
    EXPECT_ERROR(error_of(b), "node 'out' (Relu6): malformed input reference 'conv:x'");
    b.find("out")->set_input(0, "conv:0");
    EXPECT_EQ(error_of(b), "");
}

TEST(FrontendErrors, ConvChannelMismatchAndRank) {
    Builder b = tiny();
    b.find("w")->mutable_attr()->at("value").mutable_tensor()->mutable_tensor_shape()->mutable_dim(2)->set_size(4);
    b.find("w")->mutable_attr()->at("value").mutable_tensor()->mutable_tensor_shape()->mutable_dim(3)->set_size(3);
    EXPECT_ERROR(error_of(b), "node 'conv' (Conv2D): filter [3,3,4,3] has 4 input channels but the input [1,8,8,3] has 3");
    Builder r;
    r.placeholder("x", {1, 8, 8, 3});
    r.fconst("w", {9, 12}, std::vector<float>(108, 1));
    r.conv("conv", "x", "w");
    EXPECT_ERROR(error_of(r), "node 'conv' (Conv2D): filter must be 4-D [kh,kw,cin,cout], got [9,12]");
}

TEST(FrontendErrors, DepthwiseMultiplierAndDilations) {
    Builder b;
    b.placeholder("x", {1, 8, 8, 3});
    b.fconst("w", {3, 3, 3, 2}, std::vector<float>(54, 1));
    b.conv("dw", "x", "w", {1, 1, 1, 1}, "SAME", "DepthwiseConv2dNative");
    EXPECT_ERROR(error_of(b), "node 'dw' (DepthwiseConv2dNative): depth multiplier 2 is not supported");
    Builder d = tiny();
    Builder::set_ints(d.find("conv"), "dilations", {1, 2, 2, 1});
    EXPECT_ERROR(error_of(d), "node 'conv' (Conv2D): dilations [1,2,2,1] are not supported");
}

TEST(FrontendErrors, NanAndInfConstants) {
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        Builder b = tiny();
        std::vector<float> w(108, 0.5f);
        w[17] = bad;
        std::string bytes(432, '\0');
        std::memcpy(bytes.data(), w.data(), 432);
        b.find("w")->mutable_attr()->at("value").mutable_tensor()->set_tensor_content(bytes);
        EXPECT_EQ(error_of(b), "m.pb: node 'w' (Const): constant contains NaN or Inf (element 17)");
    }
}

TEST(FrontendErrors, PlaceholderShape) {
    Builder b = tiny();
    b.find("x")->mutable_attr()->erase("shape");
    EXPECT_EQ(error_of(b), "m.pb: node 'x' (Placeholder): Placeholder has no static shape (attr 'shape' missing)");
    b = tiny();
    b.find("x")->mutable_attr()->at("shape").mutable_shape()->mutable_dim(0)->set_size(-1);
    EXPECT_ERROR(error_of(b), "node 'x' (Placeholder): input shape has an unknown dimension");
    b = tiny();
    b.find("x")->mutable_attr()->at("shape").mutable_shape()->set_unknown_rank(true);
    EXPECT_ERROR(error_of(b), "node 'x' (Placeholder): input shape has unknown rank");
    b = tiny();
    b.find("x")->mutable_attr()->at("shape").mutable_shape()->mutable_dim(0)->set_size(2);
    EXPECT_ERROR(error_of(b), "node 'x' (Placeholder): input shape [2,8,8,3] is not [1,H,W,C]");
}

TEST(FrontendErrors, DimensionAndElementLimits) {
    Builder b = tiny();
    auto* dims = b.find("x")->mutable_attr()->at("shape").mutable_shape();
    dims->mutable_dim(1)->set_size(int64_t(1) << 31);
    EXPECT_ERROR(error_of(b), "node 'x' (Placeholder): input shape dimension 2147483648 is out of range [1, 1048576]");
    dims->mutable_dim(1)->set_size(kMaxDim + 1);
    EXPECT_ERROR(error_of(b), "dimension 1048577 is out of range");
    dims->mutable_dim(1)->set_size(16384);
    dims->mutable_dim(2)->set_size(16384);
    EXPECT_ERROR(error_of(b), "node 'x' (Placeholder): input shape [1,16384,16384,3] has more than 268435456 elements");
    // A constant whose element count overflows int64: rejected before any allocation.
    Builder c = tiny();
    auto* ws = c.find("w")->mutable_attr()->at("value").mutable_tensor()->mutable_tensor_shape();
    ws->clear_dim();
    for (int k = 0; k < 8; ++k) ws->add_dim()->set_size(kMaxDim);
    EXPECT_ERROR(error_of(c), "node 'w' (Const): constant shape [", "has more than 268435456 elements");
    ws->add_dim()->set_size(1);
    EXPECT_ERROR(error_of(c), "node 'w' (Const): constant shape has rank 9, limit 8");
    // An inferred shape past the limits (huge padding).
    Builder p;
    p.placeholder("x", {1, 8, 8, 3});
    p.iconst("pads", {4, 2}, {0, 0, 0, 1048576, 0, 0, 0, 0});
    p.node("pad", "Pad", {"x", "pads"});
    EXPECT_ERROR(error_of(p), "node 'pad' (Pad): output shape [1,1048584,8,3] has a dimension out of range");
}

TEST(FrontendErrors, NonFloatData) {
    Builder b = tiny();
    b.find("x")->mutable_attr()->at("dtype").set_type(tf::DT_UINT8);
    EXPECT_EQ(error_of(b), "m.pb: node 'x' (Placeholder): input dtype DT_UINT8 is not supported (only DT_FLOAT)");
    b = tiny();
    auto* t = b.find("w")->mutable_attr()->at("value").mutable_tensor();
    t->set_dtype(tf::DT_DOUBLE);
    b.find("w")->mutable_attr()->at("dtype").set_type(tf::DT_DOUBLE);
    EXPECT_ERROR(error_of(b), "node 'w' (Const): constant dtype DT_DOUBLE is not supported");
    b = tiny();
    (*b.find("conv")->mutable_attr())["T"].set_type(tf::DT_HALF);
    EXPECT_ERROR(error_of(b), "node 'conv' (Conv2D): data type DT_HALF is not supported (only DT_FLOAT)");
    b = tiny();
    b.find("w")->mutable_attr()->at("dtype").set_type(tf::DT_INT32);
    EXPECT_ERROR(error_of(b), "node 'w' (Const): attr dtype DT_INT32 does not match the tensor's DT_FLOAT");
    // An int constant used as weights.
    Builder i;
    i.placeholder("x", {1, 8, 8, 1});
    i.iconst("w", {1, 1, 1, 1}, {1});
    i.conv("conv", "x", "w");
    EXPECT_ERROR(error_of(i), "node 'conv' (Conv2D): filter must be DT_FLOAT, not DT_INT32");
}

TEST(FrontendErrors, TensorContentSizeAndValueCount) {
    Builder b = tiny();
    b.find("w")->mutable_attr()->at("value").mutable_tensor()->set_tensor_content(std::string(431, '\0'));
    EXPECT_EQ(error_of(b), "m.pb: node 'w' (Const): tensor_content has 431 bytes, expected 432 for DT_FLOAT [3,3,3,4]");
    b = tiny();
    auto* t = b.find("w")->mutable_attr()->at("value").mutable_tensor();
    t->clear_tensor_content();
    t->add_float_val(1);
    t->add_float_val(2);
    EXPECT_ERROR(error_of(b), "node 'w' (Const): constant has 2 values for 108 elements");
}

TEST(FrontendErrors, StridesPaddingDataFormat) {
    Builder b = tiny();
    Builder::set_ints(b.find("conv"), "strides", {1, 0, 1, 1});
    EXPECT_EQ(error_of(b), "m.pb: node 'conv' (Conv2D): strides must be positive, got [1,0,1,1]");
    Builder::set_ints(b.find("conv"), "strides", {1, -2, 1, 1});
    EXPECT_ERROR(error_of(b), "strides must be positive");
    Builder::set_ints(b.find("conv"), "strides", {2, 1, 1, 1});
    EXPECT_ERROR(error_of(b), "strides must have the form [1,sh,sw,1]");
    Builder::set_ints(b.find("conv"), "strides", {1, 1});
    EXPECT_ERROR(error_of(b), "strides must have 4 entries");
    b = tiny();
    (*b.find("conv")->mutable_attr())["data_format"].set_s("NCHW");
    EXPECT_EQ(error_of(b), "m.pb: node 'conv' (Conv2D): data_format 'NCHW' is not supported (only NHWC)");
    b = tiny();
    (*b.find("conv")->mutable_attr())["padding"].set_s("EXPLICIT");
    EXPECT_ERROR(error_of(b), "padding 'EXPLICIT' is not supported (only SAME and VALID)");
    b = tiny();
    b.find("conv")->mutable_attr()->erase("padding");
    EXPECT_ERROR(error_of(b), "node 'conv' (Conv2D): missing attr 'padding'");
}

TEST(FrontendErrors, AttrWrongType) {
    Builder b = tiny();
    (*b.find("conv")->mutable_attr())["strides"].set_i(1);
    EXPECT_EQ(error_of(b), "m.pb: node 'conv' (Conv2D): attr 'strides' has the wrong type (expected list(int))");
    b = tiny();
    (*b.find("conv")->mutable_attr())["padding"].set_i(1);
    EXPECT_ERROR(error_of(b), "attr 'padding' has the wrong type (expected string)");
    b = tiny();
    (*b.find("x")->mutable_attr())["shape"].set_s("1,8,8,3");
    EXPECT_ERROR(error_of(b), "node 'x' (Placeholder): attr 'shape' has the wrong type (expected shape)");
}

TEST(FrontendErrors, BatchNormChecks) {
    auto make = [](bool training, float var) {
        Builder b;
        b.placeholder("x", {1, 2, 2, 2});
        for (const char* p : {"g", "be", "m"}) b.fconst(p, {2}, {1, 1});
        b.fconst("v", {2}, {1, var});
        tf::NodeDef* bn = b.node("bn", "FusedBatchNorm", {"x", "g", "be", "m", "v"});
        (*bn->mutable_attr())["is_training"].set_b(training);
        return b;
    };
    EXPECT_EQ(error_of(make(true, 1)), "m.pb: node 'bn' (FusedBatchNorm): is_training must be false (inference graphs only)");
    EXPECT_ERROR(error_of(make(false, -1)), "node 'bn' (FusedBatchNorm): variance + epsilon must be positive");
    Builder b = make(false, 1);
    b.find("g")->mutable_attr()->at("value").mutable_tensor()->mutable_tensor_shape()->mutable_dim(0)->set_size(1);
    b.find("g")->mutable_attr()->at("value").mutable_tensor()->set_tensor_content(std::string(4, '\0'));
    EXPECT_ERROR(error_of(b), "node 'bn' (FusedBatchNorm): scale shape [1] does not match the input channels of [1,2,2,2]");
}

TEST(FrontendErrors, ShapeOps) {
    Builder b;
    b.placeholder("x", {1, 2, 2, 3});
    b.iconst("s", {2}, {5, -1});
    b.node("r", "Reshape", {"x", "s"});
    EXPECT_EQ(error_of(b), "m.pb: node 'r' (Reshape): cannot reshape [1,2,2,3] to [5,-1]");
    b.find("s")->mutable_attr()->at("value").mutable_tensor()->set_int_val(0, -1);
    EXPECT_ERROR(error_of(b), "node 'r' (Reshape): invalid target shape [-1,-1]");
    Builder f;
    f.placeholder("x", {1, 2, 2, 3});
    f.fconst("s", {2}, {1, 12});
    f.node("r", "Reshape", {"x", "s"});
    EXPECT_ERROR(error_of(f), "node 'r' (Reshape): shape must be DT_INT32, not DT_FLOAT");
    Builder q;
    q.placeholder("x", {1, 2, 2, 3});
    Builder::set_ints(q.node("sq", "Squeeze", {"x"}), "squeeze_dims", {1});
    EXPECT_EQ(error_of(q), "m.pb: node 'sq' (Squeeze): cannot squeeze dim 1 of size 2");
    Builder::set_ints(q.find("sq"), "squeeze_dims", {7});
    EXPECT_ERROR(error_of(q), "squeeze dim 7 is out of range for [1,2,2,3]");
    Builder m;
    m.placeholder("x", {1, 2, 2, 3});
    m.iconst("a", {1}, {3});
    m.node("mean", "Mean", {"x", "a"});
    EXPECT_EQ(error_of(m), "m.pb: node 'mean' (Mean): only the mean over H and W (axes 1,2) is supported, got [3]");
    Builder p;
    p.placeholder("x", {1, 2, 2, 3});
    p.iconst("pads", {4, 2}, {1, 0, 0, 0, 0, 0, 0, 0});
    p.node("pad", "Pad", {"x", "pads"});
    EXPECT_EQ(error_of(p), "m.pb: node 'pad' (Pad): only padding of H and W is supported, got [1,0,0,0,0,0,0,0]");
    p.find("pads")->mutable_attr()->at("value").mutable_tensor()->set_int_val(0, 0);
    p.find("pads")->mutable_attr()->at("value").mutable_tensor()->set_int_val(2, -1);
    EXPECT_ERROR(error_of(p), "node 'pad' (Pad): paddings [0,0,-1,0,0,0,0,0] out of range");
}

TEST(FrontendErrors, OperandChecks) {
    Builder b = tiny();
    b.fconst("bias", {5}, std::vector<float>(5, 0));
    b.node("ba", "BiasAdd", {"out", "bias"});
    EXPECT_EQ(error_of(b), "m.pb: node 'ba' (BiasAdd): bias shape [5] does not match the input channels of [1,8,8,4]");
    Builder m = tiny();
    m.fconst("c", {3}, {1, 2, 3});
    m.node("mul", "Mul", {"out", "c"});
    EXPECT_ERROR(error_of(m), "node 'mul' (Mul): constant operand [3] is neither a scalar nor per-channel");
    Builder mm = tiny();
    mm.node("mul", "Mul", {"out", "out"});
    EXPECT_ERROR(error_of(mm), "node 'mul' (Mul): the product of two computed tensors is not supported");
    Builder cc = tiny();
    cc.node("cw", "Conv2D", {"w", "w/read"});
    cc.node("o2", "Relu", {"cw"});
    FrontendOptions o;
    o.output_name = "o2";
    EXPECT_ERROR(error_of(cc, o), "node 'cw' (Conv2D): input 0 ('w') is a constant, expected data");
    Builder mat = tiny();
    mat.fconst("fw", {4, 2}, std::vector<float>(8, 1));
    mat.node("fc", "MatMul", {"out", "fw"});
    EXPECT_ERROR(error_of(mat), "node 'fc' (MatMul): expects a 2-D input, got [1,8,8,4]");
    Builder in = tiny();
    in.find("out")->add_input("conv");
    EXPECT_ERROR(error_of(in), "node 'out' (Relu6): expects 1 input(s), has 2");
}

TEST(FrontendErrors, OutputChoice) {
    Builder b = tiny();
    FrontendOptions o;
    o.output_name = "w/read";
    EXPECT_ERROR(error_of(b, o), "node 'w/read' (Identity): the output is a constant");
    o.output_name = "conv:1";
    EXPECT_ERROR(error_of(b, o), "m.pb: --output 'conv:1' names no node output of the graph");
    Builder no;
    no.fconst("c", {1}, {1});
    EXPECT_EQ(error_of(no), "m.pb: no Placeholder node (network input) in the graph");
    Builder ind = tiny();
    ind.fconst("c", {1, 2}, {1, 2});
    ind.node("sm", "Softmax", {"c"});
    o.output_name = "sm";
    EXPECT_ERROR(error_of(ind, o), "node 'sm' (Softmax): input 0 ('c') is a constant, expected data");
}

}  // namespace
}  // namespace mncc
