// Writes the malformed-model corpus into DIR (at build time): each case is a
// small `mncc synth` MobileNet (alpha 0.25, 32x32, 10 classes) with one
// thing broken, or a tiny hand-made GraphDef, or a non-model file. The files
// are named in tests/error/cases.tsv with the message `mncc` must print.
//   make_corpus DIR SRC   (SRC: tests/error, whose files/ are copied too)
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "frontend/synth.h"
#include "proto/tensorflow_graph.pb.h"

namespace {

namespace tf = tensorflow;
namespace fs = std::filesystem;
using Ints = std::vector<int64_t>;

const std::string P = "MobilenetV1/MobilenetV1/";
const std::string kConv0 = P + "Conv2d_0/Conv2D";
const std::string kW0 = "MobilenetV1/Conv2d_0/weights";                        // [3,3,3,8]
const std::string kBn0 = P + "Conv2d_0/BatchNorm/FusedBatchNorm";
const std::string kGamma0 = "MobilenetV1/Conv2d_0/BatchNorm/gamma";              // [8]
const std::string kVar0 = "MobilenetV1/Conv2d_0/BatchNorm/moving_variance";      // [8]
const std::string kRelu0 = P + "Conv2d_0/Relu6";
const std::string kDw1 = P + "Conv2d_1_depthwise/depthwise";
const std::string kWdw1 = "MobilenetV1/Conv2d_1_depthwise/depthwise_weights";  // [3,3,8,1]
const std::string kPw1 = P + "Conv2d_1_pointwise/Conv2D";
const std::string kWpw1 = "MobilenetV1/Conv2d_1_pointwise/weights";            // [1,1,8,16]
const std::string kPool = "MobilenetV1/Logits/AvgPool_1a/AvgPool";
const std::string kLogitsBias = "MobilenetV1/Logits/Conv2d_1c_1x1/biases";     // [10]
const std::string kSqueeze = "MobilenetV1/Logits/SpatialSqueeze";
const std::string kReshapeShape = "MobilenetV1/Predictions/Reshape/shape";     // int32 [-1,10]

std::string synth_bytes() {
    mncc::SynthOptions o;
    o.alpha = 0.25;
    o.resolution = 32;
    o.classes = 10;
    return mncc::synth_tf_graphdef(o);
}

// The base model, parsed, with helpers to break it.
struct Model {
    tf::GraphDef gd;
    Model() {
        if (!gd.ParseFromString(synth_bytes())) throw std::runtime_error("synth output does not parse");
    }
    tf::NodeDef& node(const std::string& name) {
        for (auto& n : *gd.mutable_node())
            if (n.name() == name) return n;
        throw std::runtime_error("make_corpus: no node " + name);
    }
    tf::AttrValue& attr(const std::string& name, const char* key) { return (*node(name).mutable_attr())[key]; }
    tf::TensorProto& tensor(const std::string& name) { return *attr(name, "value").mutable_tensor(); }
    void set_ints(const std::string& name, const char* key, const Ints& v) {
        auto* l = attr(name, key).mutable_list();
        l->Clear();
        for (int64_t x : v) l->add_i(x);
    }
    void set_shape(tf::TensorShapeProto* s, const Ints& dims) {
        s->Clear();
        for (int64_t d : dims) s->add_dim()->set_size(d);
    }
    // Replaces a constant's value by `v` (DT_FLOAT, shape `dims`).
    void set_floats(const std::string& name, const Ints& dims, const std::vector<float>& v) {
        tf::TensorProto& t = tensor(name);
        set_shape(t.mutable_tensor_shape(), dims);
        std::string bytes(v.size() * 4, '\0');
        std::memcpy(bytes.data(), v.data(), bytes.size());  // little-endian hosts
        t.set_tensor_content(bytes);
    }
    void set_float(const std::string& name, size_t k, float v) {
        std::string& c = *tensor(name).mutable_tensor_content();
        std::memcpy(&c[4 * k], &v, 4);
    }
    tf::NodeDef* add(const std::string& name, const std::string& op, const std::vector<std::string>& inputs) {
        tf::NodeDef* n = gd.add_node();
        n->set_name(name);
        n->set_op(op);
        for (auto& s : inputs) n->add_input(s);
        (*n->mutable_attr())["T"].set_type(tf::DT_FLOAT);
        return n;
    }
    tf::NodeDef* add_int_const(const std::string& name, const Ints& dims, const std::vector<int32_t>& v) {
        tf::NodeDef* n = gd.add_node();
        n->set_name(name);
        n->set_op("Const");
        (*n->mutable_attr())["dtype"].set_type(tf::DT_INT32);
        tf::TensorProto* t = (*n->mutable_attr())["value"].mutable_tensor();
        t->set_dtype(tf::DT_INT32);
        set_shape(t->mutable_tensor_shape(), dims);
        for (int32_t x : v) t->add_int_val(x);
        return n;
    }
    // Puts a Pad with `paddings` ([4,2]) between the input and the first conv.
    void pad_input(const std::vector<int32_t>& paddings) {
        add_int_const("pad/paddings", {4, 2}, paddings);
        add("pad", "Pad", {"input", "pad/paddings"});
        node(kConv0).set_input(0, "pad");
    }
    std::string bytes() const { return gd.SerializeAsString(); }
};

void write(const fs::path& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    if (!f) throw std::runtime_error("make_corpus: cannot write " + path.string());
}

// A model changed by `edit`.
std::string mutated(const std::function<void(Model&)>& edit) {
    Model m;
    edit(m);
    return m.bytes();
}

// x -> Add(x, r) -> Relu r -> Softmax: Add and Relu form a cycle.
std::string cycle_graph() {
    Model m;
    m.gd.clear_node();
    tf::NodeDef* x = m.gd.add_node();
    x->set_name("x");
    x->set_op("Placeholder");
    (*x->mutable_attr())["dtype"].set_type(tf::DT_FLOAT);
    m.set_shape((*x->mutable_attr())["shape"].mutable_shape(), {1, 4, 4, 3});
    m.add("a", "Add", {"x", "r"});
    m.add("r", "Relu", {"a"});
    m.add("out", "Softmax", {"r"});
    return m.bytes();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: make_corpus DIR SRC\n");
        return 2;
    }
    const fs::path dir = argv[1];
    try {
        fs::create_directories(dir);
        const std::string base = synth_bytes();
        const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
        const int64_t big = int64_t(1) << 20;  // kMaxDim

        // Not a model at all.
        write(dir / "ok.pb", base);  // valid: the model for the image cases
        write(dir / "empty.pb", "");
        std::string noise(4096, '\0');
        uint32_t s = 12345;
        for (char& c : noise) c = char((s = s * 1103515245u + 12345u) >> 24);
        write(dir / "random.pb", noise);
        write(dir / "random.onnx", noise);
        // TFLite files that are not (whole) flatbuffers: the file-level checks.
        write(dir / "empty.tflite", "");
        write(dir / "short.tflite", std::string("\x1c\x00\x00\x00TF", 6));
        std::string bad_id = noise;
        bad_id.replace(4, 4, "T\nL\x01");  // a newline in the identifier must not split the message
        write(dir / "bad_identifier.tflite", bad_id);
        write(dir / "root_past_end.tflite", std::string("\x40\x00\x00\x00TFL3\x00\x00\x00\x00\xff\xff\xff\xff", 16));
        std::string garbage_tables = noise;
        garbage_tables.replace(0, 8, std::string("\x10\x00\x00\x00TFL3", 8));
        write(dir / "garbage_tables.tflite", garbage_tables);
        write(dir / "truncated_half.pb", base.substr(0, base.size() / 2));
        write(dir / "truncated_tail.pb", base.substr(0, base.size() - 3));
        write(dir / "no_nodes.pb", mutated([](Model& m) {
                  m.gd.clear_node();
                  m.gd.mutable_versions()->set_producer(26);
              }));
        fs::create_directories(dir / "a_directory.pb");
        {  // one byte over kMaxModelFileBytes, sparse: costs no disk
            std::ofstream(dir / "too_large.pb", std::ios::binary);
            fs::resize_file(dir / "too_large.pb", (uint64_t(1) << 30) + 1);
        }
        write(dir / "not_an_image.jpg", "\xff\xd8\xff\xe0 this is not really a JPEG image\n");
        write(dir / "empty_image.png", "");

        // Wrong types.
        write(dir / "const_double.pb", mutated([](Model& m) {
                  m.attr(kW0, "dtype").set_type(tf::DT_DOUBLE);
                  m.tensor(kW0).set_dtype(tf::DT_DOUBLE);
              }));
        write(dir / "const_dtype_mismatch.pb", mutated([](Model& m) { m.attr(kW0, "dtype").set_type(tf::DT_INT32); }));
        write(dir / "placeholder_uint8.pb", mutated([](Model& m) { m.attr("input", "dtype").set_type(tf::DT_UINT8); }));
        write(dir / "attr_padding_int.pb", mutated([](Model& m) { m.attr(kConv0, "padding").set_i(1); }));
        write(dir / "attr_strides_string.pb", mutated([](Model& m) { m.attr(kConv0, "strides").set_s("1,2,2,1"); }));
        write(dir / "op_type_half.pb", mutated([](Model& m) { m.attr(kRelu0, "T").set_type(tf::DT_HALF); }));
        write(dir / "filter_int32.pb", mutated([](Model& m) {
                  m.attr(kW0, "dtype").set_type(tf::DT_INT32);
                  m.tensor(kW0).set_dtype(tf::DT_INT32);
              }));

        // Inconsistent shapes.
        write(dir / "conv_cin_mismatch.pb", mutated([](Model& m) {  // [1,1,8,16] -> [1,1,16,8]
                  m.set_shape(m.tensor(kWpw1).mutable_tensor_shape(), {1, 1, 16, 8});
              }));
        write(dir / "bias_size.pb", mutated([](Model& m) { m.set_floats(kLogitsBias, {11}, std::vector<float>(11)); }));
        write(dir / "bn_size.pb", mutated([](Model& m) { m.set_floats(kGamma0, {9}, std::vector<float>(9, 1)); }));
        write(dir / "tensor_content_short.pb", mutated([](Model& m) {
                  std::string& c = *m.tensor(kW0).mutable_tensor_content();
                  c.resize(c.size() - 4);
              }));
        write(dir / "value_count.pb", mutated([](Model& m) {
                  tf::TensorProto& t = m.tensor(kGamma0);
                  t.clear_tensor_content();
                  for (float v : {1.f, 2.f, 3.f}) t.add_float_val(v);
              }));
        write(dir / "reshape_mismatch.pb", mutated([](Model& m) {  // [-1,10] -> [-1,11]
                  tf::TensorProto& t = m.tensor(kReshapeShape);
                  const int32_t v[2] = {-1, 11};
                  t.set_tensor_content(std::string(reinterpret_cast<const char*>(v), 8));
              }));
        write(dir / "squeeze_non_unit.pb", mutated([](Model& m) { m.set_ints(kSqueeze, "squeeze_dims", {1, 3}); }));
        write(dir / "pool_window_too_large.pb",
              mutated([](Model& m) { m.set_ints(kPool, "ksize", {1, 100, 100, 1}); }));

        // Overflowing and out-of-range sizes (the frontend.h limits).
        write(dir / "dim_2p31.pb", mutated([](Model& m) {
                  m.set_shape(m.attr("input", "shape").mutable_shape(), {1, int64_t(1) << 31, 32, 3});
              }));
        write(dir / "elements_2p62.pb", mutated([big](Model& m) {  // 2^20 * 2^20 * 2^20 * 4
                  m.set_shape(m.tensor(kW0).mutable_tensor_shape(), {big, big, big, 4});
              }));
        write(dir / "elements_over_limit.pb", mutated([](Model& m) {  // 3 * 2^30 > kMaxTensorElements
                  m.set_shape(m.attr("input", "shape").mutable_shape(), {1, 1 << 15, 1 << 15, 3});
              }));
        write(dir / "rank_9.pb", mutated([](Model& m) {
                  m.set_shape(m.attr("input", "shape").mutable_shape(), {1, 1, 1, 1, 1, 1, 1, 1, 1});
              }));
        write(dir / "splat_over_limit.pb", mutated([](Model& m) {  // one value splat to 2^28 elements
                  tf::TensorProto& t = m.tensor(kW0);
                  t.clear_tensor_content();
                  t.add_float_val(0.5f);
                  m.set_shape(t.mutable_tensor_shape(), {1 << 12, 1 << 12, 1 << 4, 1});
              }));
        write(dir / "content_huge_shape.pb", mutated([](Model& m) {  // 864 bytes for 2^28 elements
                  m.set_shape(m.tensor(kW0).mutable_tensor_shape(), {1 << 14, 1 << 14, 1, 1});
              }));
        write(dir / "too_many_nodes.pb", mutated([](Model& m) {
                  for (int k = 0; m.gd.node_size() <= 100000; ++k) m.gd.add_node()->set_name("n" + std::to_string(k));
              }));
        write(dir / "stride_zero.pb", mutated([](Model& m) { m.set_ints(kConv0, "strides", {1, 0, 0, 1}); }));
        write(dir / "stride_negative.pb", mutated([](Model& m) { m.set_ints(kConv0, "strides", {1, -2, -2, 1}); }));
        write(dir / "stride_huge.pb",
              mutated([](Model& m) { m.set_ints(kConv0, "strides", {1, int64_t(1) << 40, int64_t(1) << 40, 1}); }));
        write(dir / "pad_1e9.pb", mutated([](Model& m) { m.pad_input({0, 0, 1000000000, 1000000000, 1, 1, 0, 0}); }));
        write(dir / "pad_output_too_large.pb",  // each pad within kMaxDim, the padded height is not
              mutated([big](Model& m) { m.pad_input({0, 0, int32_t(big), int32_t(big), 0, 0, 0, 0}); }));
        write(dir / "pad_negative.pb", mutated([](Model& m) { m.pad_input({0, 0, -1, 1, 1, 1, 0, 0}); }));
        write(dir / "pad_exceeds_kernel.pb", mutated([](Model& m) {  // folds into a 3x3 conv with pad 5
                  m.pad_input({0, 0, 5, 5, 5, 5, 0, 0});
                  m.attr(kConv0, "padding").set_s("VALID");
              }));

        // Values.
        write(dir / "nan_weight.pb", mutated([nan](Model& m) { m.set_float(kW0, 7, nan); }));
        write(dir / "inf_variance.pb", mutated([inf](Model& m) { m.set_float(kVar0, 2, inf); }));
        write(dir / "negative_variance.pb", mutated([](Model& m) { m.set_float(kVar0, 0, -1.0f); }));
        write(dir / "epsilon_nan.pb", mutated([nan](Model& m) { m.attr(kBn0, "epsilon").set_f(nan); }));

        // Graph structure.
        write(dir / "cycle.pb", cycle_graph());
        write(dir / "dangling_input.pb", mutated([](Model& m) { m.node(kDw1).set_input(0, "no_such_node"); }));
        write(dir / "duplicate_name.pb", mutated([](Model& m) { m.node(kPw1).set_name(kDw1); }));
        write(dir / "output_port_1.pb", mutated([](Model& m) { m.node(kDw1).set_input(0, kRelu0 + ":1"); }));
        write(dir / "malformed_ref.pb", mutated([](Model& m) { m.node(kDw1).set_input(0, kRelu0 + ":x"); }));
        write(dir / "two_sinks.pb", mutated([](Model& m) { m.add("extra/Relu", "Relu", {kRelu0}); }));
        write(dir / "two_placeholders.pb", mutated([](Model& m) {
                  tf::NodeDef* x = m.gd.add_node();
                  *x = m.node("input");
                  x->set_name("input2");
              }));
        write(dir / "no_placeholder.pb", mutated([](Model& m) { m.node("input").set_op("Const"); }));
        write(dir / "placeholder_no_shape.pb",
              mutated([](Model& m) { m.node("input").mutable_attr()->erase("shape"); }));
        write(dir / "placeholder_unknown_rank.pb",
              mutated([](Model& m) { m.attr("input", "shape").mutable_shape()->set_unknown_rank(true); }));
        write(dir / "placeholder_unknown_dim.pb", mutated([](Model& m) {
                  m.set_shape(m.attr("input", "shape").mutable_shape(), {1, -1, -1, 3});
              }));
        write(dir / "bn_not_after_conv.pb", mutated([](Model& m) {  // BatchNorm on the Relu6 output
                  tf::NodeDef* bn = m.gd.add_node();
                  *bn = m.node(kBn0);
                  bn->set_name("extra/BatchNorm");
                  bn->set_input(0, kRelu0);
                  m.node(kDw1).set_input(0, "extra/BatchNorm");
              }));

        // Unsupported ops and attributes.
        write(dir / "unsupported_op.pb", mutated([](Model& m) { m.node(kRelu0).set_op("Elu"); }));
        write(dir / "nchw.pb", mutated([](Model& m) { m.attr(kConv0, "data_format").set_s("NCHW"); }));
        write(dir / "dilations_2.pb", mutated([](Model& m) { m.set_ints(kDw1, "dilations", {1, 2, 2, 1}); }));
        write(dir / "padding_explicit.pb", mutated([](Model& m) { m.attr(kConv0, "padding").set_s("EXPLICIT"); }));
        write(dir / "depth_multiplier_2.pb", mutated([](Model& m) {
                  m.set_floats(kWdw1, {3, 3, 8, 2}, std::vector<float>(3 * 3 * 8 * 2, 0.1f));
              }));
        write(dir / "is_training.pb", mutated([](Model& m) { m.attr(kBn0, "is_training").set_b(true); }));

        // Inputs the fuzzer found bugs with (tests/error/files/), kept as they are.
        const fs::path found = fs::path(argv[2]) / "files";
        if (fs::exists(found))
            for (const auto& e : fs::directory_iterator(found))
                fs::copy_file(e.path(), dir / e.path().filename(), fs::copy_options::overwrite_existing);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "make_corpus: %s\n", e.what());
        return 1;
    }
    return 0;
}
