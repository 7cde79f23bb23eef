// TensorFlow frozen GraphDef -> mncc::Graph.
//
// Reading order: index the NodeDefs, resolve input references, pick the input
// Placeholder and the output node, walk backwards from the output (iterative
// DFS, cycle check) and translate the nodes producers-first, inferring static
// shapes and binding constants as we go. Nodes the output does not depend on
// are ignored.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unordered_map>

#include <google/protobuf/stubs/logging.h>

#include "frontend/frontend.h"
#include "frontend/tflite.h"
#include "proto/tensorflow_graph.pb.h"
#include "support/error.h"

namespace mncc {
namespace {

namespace tf = tensorflow;

std::string dtype_name(int dt) {
    if (tf::DataType_IsValid(dt)) return tf::DataType_Name(static_cast<tf::DataType>(dt));
    return "DataType(" + std::to_string(dt) + ")";
}

std::string ints_str(const std::vector<int64_t>& v) { return shape_str(v); }

std::string where(const std::string& file) { return file.empty() ? std::string("<model>") : file; }

// A decoded Const: DT_FLOAT data, or DT_INT32 values (shapes, axes, paddings).
struct ConstTensor {
    tf::DataType dtype = tf::DT_INVALID;
    Shape shape;
    std::vector<float> f;
    std::vector<int64_t> i;
};

// One entry of NodeDef.input: "name", "name:N" or "^name" (control input).
struct InputRef {
    std::string name;
    int port = 0;  // -1: malformed suffix
    bool control = false;
};

InputRef parse_ref(const std::string& s) {
    InputRef r;
    if (!s.empty() && s[0] == '^') {
        r.control = true;
        r.name = s.substr(1);
        return r;
    }
    r.name = s;
    size_t colon = s.rfind(':');
    if (colon == std::string::npos) return r;
    r.name = s.substr(0, colon);
    std::string digits = s.substr(colon + 1);
    bool ok = !digits.empty() && digits.size() <= 9 &&
              std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
    r.port = ok ? std::stoi(digits) : -1;
    return r;
}

uint32_t load_le32(const char* p) {
    const auto* b = reinterpret_cast<const unsigned char*>(p);
    return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

class GraphDefReader {
public:
    GraphDefReader(const tf::GraphDef& gd, const std::string& file, const FrontendOptions& opts)
        : gd_(gd), file_(where(file)), opts_(opts) {}

    Graph read() {
        const int count = gd_.node_size();
        if (count == 0) fail_file("graph has no nodes");
        if (count > kMaxNodes)
            fail_file("graph has " + std::to_string(count) + " nodes, limit " + std::to_string(kMaxNodes));
        index_nodes();
        const int input = find_input();
        const int output = find_output(input);
        ir_.assign(count, -1);
        is_const_.assign(count, 0);
        input_def_ = input;
        for (int d : post_order(output)) convert(d);
        // Every computed node depends on the one Placeholder allowed, so the
        // input is in the graph whenever the output is not a constant.
        if (is_const_[output]) fail(output, "the output is a constant");
        g_.source_file = file_;
        g_.input = ir_[input];
        g_.output = ir_[output];
        return std::move(g_);
    }

private:
    const tf::GraphDef& gd_;
    const std::string file_;
    const FrontendOptions& opts_;
    std::unordered_map<std::string, int> index_;
    std::vector<std::vector<std::pair<int, int>>> in_;  // data inputs: (NodeDef index, port)
    std::vector<int> ir_;                                // NodeDef index -> IR node id, -1: none
    std::vector<char> is_const_;                         // Const, or Identity of a constant
    std::unordered_map<int, ConstTensor> consts_;
    int input_def_ = -1;
    int64_t splat_elements_ = 0;  // see kMaxSplatElements
    Graph g_;

    const tf::NodeDef& def(int d) const { return gd_.node(d); }
    [[noreturn]] void fail(int d, const std::string& reason) const {
        throw Error(node_error(file_, def(d).name(), def(d).op(), reason));
    }
    [[noreturn]] void fail_file(const std::string& reason) const { throw Error(file_ + ": " + reason); }

    // ---- graph structure -------------------------------------------------

    void index_nodes() {
        for (int d = 0; d < gd_.node_size(); ++d) {
            const std::string& name = def(d).name();
            if (name.empty()) fail_file("node #" + std::to_string(d) + " (" + def(d).op() + ") has no name");
            if (!index_.emplace(name, d).second) fail(d, "duplicate node name");
        }
        in_.resize(gd_.node_size());
        for (int d = 0; d < gd_.node_size(); ++d) {
            for (const std::string& s : def(d).input()) {
                InputRef r = parse_ref(s);
                if (r.control) continue;  // ordering only; irrelevant to a frozen graph's values
                if (r.port < 0) fail(d, "malformed input reference '" + s + "'");
                auto it = index_.find(r.name);
                if (it == index_.end()) fail(d, "input '" + s + "' refers to a missing node");
                in_[d].push_back({it->second, r.port});
            }
        }
    }

    int lookup_option(const std::string& ref, const char* flag) const {
        InputRef r = parse_ref(ref);
        auto it = index_.find(r.name);
        if (r.control || r.port != 0 || it == index_.end())
            fail_file(std::string(flag) + " '" + ref + "' names no node output of the graph");
        return it->second;
    }

    std::string name_list(const std::vector<int>& ds) const {
        std::string s;
        for (size_t k = 0; k < ds.size() && k < 5; ++k) s += (k ? ", '" : "'") + def(ds[k]).name() + "'";
        if (ds.size() > 5) s += ", ...";
        return s;
    }

    int find_input() const {
        if (!opts_.input_name.empty()) {
            int d = lookup_option(opts_.input_name, "--input");
            if (def(d).op() != "Placeholder") fail(d, "--input must name a Placeholder");
            return d;
        }
        std::vector<int> found;
        for (int d = 0; d < gd_.node_size(); ++d)
            if (def(d).op() == "Placeholder") found.push_back(d);
        if (found.empty()) fail_file("no Placeholder node (network input) in the graph");
        if (found.size() > 1) fail_file("several Placeholder nodes (" + name_list(found) + "); pass --input NAME");
        return found[0];
    }

    // The unique sink among non-constant nodes reachable from the input.
    int find_output(int input) const {
        if (!opts_.output_name.empty()) return lookup_option(opts_.output_name, "--output");
        const int count = gd_.node_size();
        std::vector<std::vector<int>> consumers(count);
        for (int d = 0; d < count; ++d)
            for (auto [s, port] : in_[d]) consumers[s].push_back(d);
        std::vector<char> seen(count, 0);
        std::vector<int> work{input}, sinks;
        seen[input] = 1;
        while (!work.empty()) {
            int d = work.back();
            work.pop_back();
            if (consumers[d].empty()) sinks.push_back(d);
            for (int c : consumers[d])
                if (!seen[c]) seen[c] = 1, work.push_back(c);
        }
        if (sinks.empty()) fail_file("no output node found (every node reachable from the input has a consumer)");
        if (sinks.size() > 1) {
            std::sort(sinks.begin(), sinks.end());
            fail_file("several candidate output nodes (" + name_list(sinks) + "); pass --output NAME");
        }
        return sinks[0];
    }

    // Producers before consumers, over what `output` depends on.
    std::vector<int> post_order(int output) const {
        std::vector<char> state(gd_.node_size(), 0);  // 1 = on the DFS stack, 2 = done
        std::vector<std::pair<int, size_t>> stack{{output, 0}};
        std::vector<int> order;
        state[output] = 1;
        while (!stack.empty()) {
            auto& [d, next] = stack.back();
            if (next < in_[d].size()) {
                auto [s, port] = in_[d][next++];
                if (port != 0)
                    fail(d, "uses output " + std::to_string(port) + " of '" + def(s).name() +
                                "'; only output 0 is supported");
                if (state[s] == 1) fail(d, "graph has a cycle through node '" + def(s).name() + "'");
                if (state[s] == 0) {
                    state[s] = 1;
                    stack.push_back({s, 0});
                }
            } else {
                state[d] = 2;
                order.push_back(d);
                stack.pop_back();
            }
        }
        return order;
    }

    // ---- attributes ------------------------------------------------------

    const tf::AttrValue* attr(int d, const char* key, tf::AttrValue::ValueCase want, const char* type,
                              bool required) const {
        auto it = def(d).attr().find(key);
        if (it == def(d).attr().end()) {
            if (required) fail(d, std::string("missing attr '") + key + "'");
            return nullptr;
        }
        if (it->second.value_case() != want)
            fail(d, std::string("attr '") + key + "' has the wrong type (expected " + type + ")");
        return &it->second;
    }
    std::string str_attr(int d, const char* key, const std::string& dflt, bool required = false) const {
        const tf::AttrValue* a = attr(d, key, tf::AttrValue::kS, "string", required);
        return a ? a->s() : dflt;
    }
    bool bool_attr(int d, const char* key, bool dflt) const {
        const tf::AttrValue* a = attr(d, key, tf::AttrValue::kB, "bool", false);
        return a ? a->b() : dflt;
    }
    float float_attr(int d, const char* key, float dflt) const {
        const tf::AttrValue* a = attr(d, key, tf::AttrValue::kF, "float", false);
        return a ? a->f() : dflt;
    }
    std::vector<int64_t> ints_attr(int d, const char* key, bool required) const {
        const tf::AttrValue* a = attr(d, key, tf::AttrValue::kList, "list(int)", required);
        if (!a) return {};
        if (a->list().i_size() == 0 && (a->list().s_size() || a->list().f_size() || a->list().b_size()))
            fail(d, std::string("attr '") + key + "' has the wrong type (expected list(int))");
        return {a->list().i().begin(), a->list().i().end()};
    }
    // Activations are float32: the op's element type, when given, must be too.
    void check_float_type(int d, const char* key = "T") const {
        const tf::AttrValue* a = attr(d, key, tf::AttrValue::kType, "type", false);
        if (a && a->type() != tf::DT_FLOAT)
            fail(d, "data type " + dtype_name(a->type()) + " is not supported (only DT_FLOAT)");
    }
    void check_nhwc(int d) const {
        std::string f = str_attr(d, "data_format", "NHWC");
        if (f != "NHWC") fail(d, "data_format '" + f + "' is not supported (only NHWC)");
    }

    // ---- shapes ----------------------------------------------------------

    // A shape from the file: known rank and dims, within the limits.
    Shape file_shape(int d, const tf::TensorShapeProto& p, const char* what, bool positive) const {
        if (p.unknown_rank()) fail(d, std::string(what) + " has unknown rank");
        if (p.dim_size() > kMaxRank) fail(d, std::string(what) + " has rank " + std::to_string(p.dim_size()) +
                                                 ", limit " + std::to_string(kMaxRank));
        Shape s;
        for (const auto& dim : p.dim()) {
            if (dim.size() < 0) fail(d, std::string(what) + " has an unknown dimension (static shapes only)");
            if (dim.size() > kMaxDim || (positive && dim.size() == 0))
                fail(d, std::string(what) + " dimension " + std::to_string(dim.size()) + " is out of range [" +
                            (positive ? "1" : "0") + ", " + std::to_string(kMaxDim) + "]");
            s.push_back(dim.size());
        }
        check_elements(d, s, what);
        return s;
    }
    void check_elements(int d, const Shape& s, const char* what) const {
        int64_t n = 1;
        for (int64_t v : s)
            if (__builtin_mul_overflow(n, v, &n) || n > kMaxTensorElements)
                fail(d, std::string(what) + " " + shape_str(s) + " has more than " +
                            std::to_string(kMaxTensorElements) + " elements");
    }
    // Every inferred activation shape: positive dims within the limits.
    void check_out_shape(int d, const Shape& s) const {
        for (int64_t v : s)
            if (v < 1 || v > kMaxDim) fail(d, "output shape " + shape_str(s) + " has a dimension out of range");
        check_elements(d, s, "output shape");
    }

    // ---- constants -------------------------------------------------------

    void decode_const(int d) {
        const tf::AttrValue* va = attr(d, "value", tf::AttrValue::kTensor, "tensor", true);
        const tf::TensorProto& t = va->tensor();
        const tf::AttrValue* da = attr(d, "dtype", tf::AttrValue::kType, "type", false);
        if (da && da->type() != t.dtype())
            fail(d, "attr dtype " + dtype_name(da->type()) + " does not match the tensor's " + dtype_name(t.dtype()));
        if (t.dtype() != tf::DT_FLOAT && t.dtype() != tf::DT_INT32)
            fail(d, "constant dtype " + dtype_name(t.dtype()) + " is not supported (only DT_FLOAT and DT_INT32)");
        ConstTensor c;
        c.dtype = t.dtype();
        c.shape = file_shape(d, t.tensor_shape(), "constant shape", false);
        const int64_t n = num_elements(c.shape);
        const bool is_float = c.dtype == tf::DT_FLOAT;
        const std::string& bytes = t.tensor_content();
        if (!bytes.empty() && int64_t(bytes.size()) != checked_mul(n, 4, "tensor_content size"))
            fail(d, "tensor_content has " + std::to_string(bytes.size()) + " bytes, expected " +
                        std::to_string(n * 4) + " for " + dtype_name(c.dtype) + " " + shape_str(c.shape));
        // Sizes are checked against the file's contents before allocating.
        if (bytes.empty() && (is_float ? t.float_val_size() : t.int_val_size()) < n) {
            splat_elements_ += n;
            if (splat_elements_ > kMaxSplatElements)
                fail(d, "splat constants expand to more than " + std::to_string(kMaxSplatElements) +
                            " elements in all");
        }
        if (is_float) c.f.resize(n);
        else c.i.resize(n);
        if (!bytes.empty()) {
            for (int64_t k = 0; k < n; ++k) {
                uint32_t u = load_le32(bytes.data() + 4 * k);
                if (is_float) std::memcpy(&c.f[k], &u, 4);
                else c.i[k] = int32_t(u);
            }
        } else {
            const int64_t have = is_float ? t.float_val_size() : t.int_val_size();
            // TF stores a splat as a single value.
            if (have != n && !(have == 1 && n > 0))
                fail(d, "constant has " + std::to_string(have) + " values for " + std::to_string(n) + " elements");
            for (int64_t k = 0; k < n; ++k) {
                int idx = int(std::min(k, have - 1));
                if (is_float) c.f[k] = t.float_val(idx);
                else c.i[k] = t.int_val(idx);
            }
        }
        for (size_t k = 0; k < c.f.size(); ++k)
            if (!std::isfinite(c.f[k])) fail(d, "constant contains NaN or Inf (element " + std::to_string(k) + ")");
        consts_.emplace(d, std::move(c));
    }

    const ConstTensor& const_in(int d, size_t k, const char* what) const {
        int s = in_[d][k].first;
        if (!is_const_[s]) fail(d, std::string(what) + " ('" + def(s).name() + "') must be a constant");
        while (def(s).op() == "Identity") s = in_[s][0].first;
        return consts_.at(s);
    }
    Tensor float_in(int d, size_t k, const char* what) const {
        const ConstTensor& c = const_in(d, k, what);
        if (c.dtype != tf::DT_FLOAT)
            fail(d, std::string(what) + " must be DT_FLOAT, not " + dtype_name(c.dtype));
        return Tensor{c.shape, c.f};
    }
    const ConstTensor& int_in(int d, size_t k, const char* what) const {
        const ConstTensor& c = const_in(d, k, what);
        if (c.dtype != tf::DT_INT32) fail(d, std::string(what) + " must be DT_INT32, not " + dtype_name(c.dtype));
        return c;
    }

    // ---- translation -----------------------------------------------------

    void expect_inputs(int d, size_t n) const {
        if (in_[d].size() != n)
            fail(d, "expects " + std::to_string(n) + " input(s), has " + std::to_string(in_[d].size()));
    }
    // IR id of input k, which must be computed from the network input.
    int data_in(int d, size_t k) const {
        int s = in_[d][k].first;
        if (is_const_[s]) fail(d, "input " + std::to_string(k) + " ('" + def(s).name() + "') is a constant, expected data");
        return ir_[s];
    }
    const Shape& shape_of(int id) const { return g_.node(id).shape; }
    int data_in4(int d, size_t k) const {
        int id = data_in(d, k);
        if (shape_of(id).size() != 4) fail(d, "expects a 4-D NHWC input, got " + shape_str(shape_of(id)));
        return id;
    }
    Node& add(int d, Op op, std::vector<int> inputs, Shape shape) {
        check_out_shape(d, shape);
        Node& n = g_.add(op, def(d).name());
        n.inputs = std::move(inputs);
        n.shape = std::move(shape);
        ir_[d] = n.id;
        return n;
    }

    // Strides, padding and dilations of a Conv2D / DepthwiseConv2dNative /
    // AvgPool with a kh x kw window on `in`; returns the output [H, W].
    std::pair<int64_t, int64_t> window(int d, Node& n, const Shape& in, int64_t kh, int64_t kw) const {
        std::vector<int64_t> st = ints_attr(d, "strides", true);
        if (st.size() != 4) fail(d, "strides must have 4 entries, has " + std::to_string(st.size()));
        for (int64_t v : st)
            if (v <= 0) fail(d, "strides must be positive, got " + ints_str(st));
        if (st[0] != 1 || st[3] != 1) fail(d, "strides must have the form [1,sh,sw,1], got " + ints_str(st));
        if (st[1] > kMaxDim || st[2] > kMaxDim) fail(d, "strides " + ints_str(st) + " out of range");
        std::vector<int64_t> dil = ints_attr(d, "dilations", false);
        for (int64_t v : dil)
            if (v != 1) fail(d, "dilations " + ints_str(dil) + " are not supported (only 1)");
        std::string pad = str_attr(d, "padding", "", true);
        if (pad != "SAME" && pad != "VALID") fail(d, "padding '" + pad + "' is not supported (only SAME and VALID)");
        n.kernel_h = int(kh), n.kernel_w = int(kw);
        n.stride_h = int(st[1]), n.stride_w = int(st[2]);
        n.padding = pad == "SAME" ? Padding::Same : Padding::Valid;
        auto axis = [&](int64_t size, int64_t k, int64_t s, int& lo, int& hi) {
            if (pad == "VALID") {
                if (size < k)
                    fail(d, "window " + std::to_string(kh) + "x" + std::to_string(kw) + " is larger than the input " +
                                shape_str(in));
                return (size - k) / s + 1;
            }
            int64_t out = (size + s - 1) / s;
            int64_t total = std::max<int64_t>((out - 1) * s + k - size, 0);
            lo = int(total / 2), hi = int(total - total / 2);
            return out;
        };
        int64_t oh = axis(in[1], kh, st[1], n.pad_top, n.pad_bottom);
        int64_t ow = axis(in[2], kw, st[2], n.pad_left, n.pad_right);
        return {oh, ow};
    }

    void convert(int d) {
        const std::string& op = def(d).op();
        if (op == "Const") {
            is_const_[d] = 1;
            decode_const(d);
        } else if (op == "Identity") {
            expect_inputs(d, 1);
            if (is_const_[in_[d][0].first]) {
                is_const_[d] = 1;  // weights "/read": bound into the consumer
            } else {
                check_float_type(d);
                int x = data_in(d, 0);
                add(d, Op::Identity, {x}, shape_of(x));
            }
        } else if (op == "Placeholder") {
            convert_placeholder(d);
        } else if (op == "Conv2D" || op == "DepthwiseConv2dNative") {
            convert_conv(d, op == "Conv2D");
        } else if (op == "AvgPool") {
            expect_inputs(d, 1);
            check_float_type(d);
            check_nhwc(d);
            int x = data_in4(d, 0);
            std::vector<int64_t> k = ints_attr(d, "ksize", true);
            if (k.size() != 4 || k[0] != 1 || k[3] != 1 || k[1] < 1 || k[2] < 1 || k[1] > kMaxDim || k[2] > kMaxDim)
                fail(d, "ksize must have the form [1,kh,kw,1] with positive kh, kw, got " + ints_str(k));
            Shape in = shape_of(x);
            Node tmp;
            auto [oh, ow] = window(d, tmp, in, k[1], k[2]);
            Node& n = add(d, Op::AvgPool, {x}, {in[0], oh, ow, in[3]});
            copy_window(tmp, n);
        } else if (op == "BiasAdd") {
            expect_inputs(d, 2);
            check_float_type(d);
            check_nhwc(d);
            int x = data_in(d, 0);
            Tensor b = float_in(d, 1, "bias");
            const Shape& in = shape_of(x);
            if (b.shape.size() != 1 || in.empty() || b.shape[0] != in.back())
                fail(d, "bias shape " + shape_str(b.shape) + " does not match the input channels of " + shape_str(in));
            add(d, Op::BiasAdd, {x}, in).value = std::move(b);
        } else if (op == "FusedBatchNorm" || op == "FusedBatchNormV3") {
            convert_batch_norm(d);
        } else if (op == "Mul" || op == "Add" || op == "AddV2") {
            convert_binary(d, op == "Mul" ? Op::Mul : Op::Add);
        } else if (op == "Relu" || op == "Relu6" || op == "Softmax") {
            expect_inputs(d, 1);
            check_float_type(d);
            int x = data_in(d, 0);
            if (shape_of(x).empty()) fail(d, "expects a tensor of rank >= 1");
            add(d, op == "Relu" ? Op::Relu : op == "Relu6" ? Op::Relu6 : Op::Softmax, {x}, shape_of(x));
        } else if (op == "Mean") {
            convert_mean(d);
        } else if (op == "Squeeze") {
            convert_squeeze(d);
        } else if (op == "Reshape") {
            convert_reshape(d);
        } else if (op == "Shape") {
            expect_inputs(d, 1);
            int x = data_in(d, 0);
            Shape in = shape_of(x);
            Node& n = add(d, Op::Shape, {x}, {int64_t(in.size())});
            n.value = Tensor{{int64_t(in.size())}, std::vector<float>(in.begin(), in.end())};
        } else if (op == "MatMul") {
            convert_matmul(d);
        } else if (op == "Pad") {
            convert_pad(d);
        } else {
            fail(d, "unsupported op '" + op + "'");
        }
    }

    static void copy_window(const Node& from, Node& to) {
        to.kernel_h = from.kernel_h, to.kernel_w = from.kernel_w;
        to.stride_h = from.stride_h, to.stride_w = from.stride_w;
        to.padding = from.padding;
        to.pad_top = from.pad_top, to.pad_bottom = from.pad_bottom;
        to.pad_left = from.pad_left, to.pad_right = from.pad_right;
    }

    void convert_placeholder(int d) {
        if (d != input_def_)
            fail(d, "a second network input; only one Placeholder ('" + def(input_def_).name() + "') is supported");
        expect_inputs(d, 0);
        const tf::AttrValue* dt = attr(d, "dtype", tf::AttrValue::kType, "type", true);
        if (dt->type() != tf::DT_FLOAT)
            fail(d, "input dtype " + dtype_name(dt->type()) + " is not supported (only DT_FLOAT)");
        auto it = def(d).attr().find("shape");
        if (it == def(d).attr().end()) fail(d, "Placeholder has no static shape (attr 'shape' missing)");
        const tf::AttrValue* sa = attr(d, "shape", tf::AttrValue::kShape, "shape", true);
        Shape s = file_shape(d, sa->shape(), "input shape", true);
        if (s.size() != 4 || s[0] != 1) fail(d, "input shape " + shape_str(s) + " is not [1,H,W,C]");
        add(d, Op::Input, {}, s);
    }

    void convert_conv(int d, bool dense) {
        expect_inputs(d, 2);
        check_float_type(d);
        check_nhwc(d);
        int x = data_in4(d, 0);
        Tensor w = float_in(d, 1, "filter");
        Shape in = shape_of(x);
        const Shape& ws = w.shape;
        if (ws.size() != 4)
            fail(d, "filter must be 4-D [kh,kw," + std::string(dense ? "cin,cout" : "c,1") + "], got " + shape_str(ws));
        if (std::find(ws.begin(), ws.end(), 0) != ws.end()) fail(d, "filter " + shape_str(ws) + " is empty");
        if (ws[2] != in[3])
            fail(d, "filter " + shape_str(ws) + " has " + std::to_string(ws[2]) + " input channels but the input " +
                        shape_str(in) + " has " + std::to_string(in[3]));
        if (!dense && ws[3] != 1)
            fail(d, "depth multiplier " + std::to_string(ws[3]) + " is not supported (only 1)");
        Node tmp;
        auto [oh, ow] = window(d, tmp, in, ws[0], ws[1]);
        Node& n = add(d, dense ? Op::Conv2D : Op::DepthwiseConv2D, {x}, {in[0], oh, ow, dense ? ws[3] : in[3]});
        copy_window(tmp, n);
        if (!dense) w.shape = {ws[0], ws[1], ws[2]};  // multiplier 1: same layout
        n.weights = std::move(w);
    }

    void convert_batch_norm(int d) {
        expect_inputs(d, 5);
        check_float_type(d);
        check_nhwc(d);
        if (bool_attr(d, "is_training", true)) fail(d, "is_training must be false (inference graphs only)");
        float eps = float_attr(d, "epsilon", 0.0001f);
        if (!std::isfinite(eps) || eps < 0) fail(d, "epsilon must be finite and >= 0");
        int x = data_in4(d, 0);
        const Shape& in = shape_of(x);
        const char* names[4] = {"scale", "offset", "mean", "variance"};
        Tensor p[4];
        for (int k = 0; k < 4; ++k) {
            p[k] = float_in(d, k + 1, names[k]);
            if (p[k].shape != Shape{in[3]})
                fail(d, std::string(names[k]) + " shape " + shape_str(p[k].shape) + " does not match the input channels of " +
                            shape_str(in));
        }
        for (float v : p[3].data)
            if (!(v + eps > 0)) fail(d, "variance + epsilon must be positive");
        Node& n = add(d, Op::BatchNorm, {x}, in);
        n.bn_gamma = std::move(p[0]);
        n.bn_beta = std::move(p[1]);
        n.bn_mean = std::move(p[2]);
        n.bn_var = std::move(p[3]);
        n.bn_epsilon = eps;
    }

    // x * c and x + c with a constant c (per channel or scalar), or the sum of
    // two equal-shaped tensors.
    void convert_binary(int d, Op op) {
        expect_inputs(d, 2);
        check_float_type(d);
        bool c0 = is_const_[in_[d][0].first], c1 = is_const_[in_[d][1].first];
        if (c0 && c1) fail(d, "both operands are constant (constant subexpressions are not supported)");
        if (!c0 && !c1) {
            int a = data_in(d, 0), b = data_in(d, 1);
            if (op != Op::Add) fail(d, "the product of two computed tensors is not supported");
            if (shape_of(a) != shape_of(b))
                fail(d, "operand shapes " + shape_str(shape_of(a)) + " and " + shape_str(shape_of(b)) + " differ");
            add(d, Op::Add, {a, b}, shape_of(a));
            return;
        }
        size_t ck = c0 ? 0 : 1;
        int x = data_in(d, 1 - ck);
        Tensor c = float_in(d, ck, "constant operand");
        const Shape& in = shape_of(x);
        const int64_t channels = in.empty() ? 1 : in.back();
        const int64_t n = num_elements(c.shape);
        bool leading_ones = c.shape.size() <= in.size() &&
                            std::all_of(c.shape.begin(), c.shape.end() - (c.shape.empty() ? 0 : 1),
                                        [](int64_t v) { return v == 1; });
        if (!(n == 1 || (leading_ones && n == channels)))
            fail(d, "constant operand " + shape_str(c.shape) + " is neither a scalar nor per-channel for input " +
                        shape_str(in));
        c.shape = {n};
        add(d, op, {x}, in).value = std::move(c);
    }

    void convert_mean(int d) {
        expect_inputs(d, 2);
        check_float_type(d);
        int x = data_in4(d, 0);
        const ConstTensor& a = int_in(d, 1, "reduction_indices");
        if (a.shape.size() > 1) fail(d, "reduction_indices must be a scalar or 1-D");
        std::vector<int64_t> axes;
        for (int64_t v : a.i) axes.push_back(v < 0 ? v + 4 : v);
        std::sort(axes.begin(), axes.end());
        axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
        if (axes != std::vector<int64_t>{1, 2})
            fail(d, "only the mean over H and W (axes 1,2) is supported, got " + ints_str(a.i));
        bool keep = bool_attr(d, "keep_dims", false);
        const Shape& in = shape_of(x);
        Node& n = add(d, Op::Mean, {x}, keep ? Shape{in[0], 1, 1, in[3]} : Shape{in[0], in[3]});
        n.axes = axes;
        n.keep_dims = keep;
    }

    void convert_squeeze(int d) {
        expect_inputs(d, 1);
        check_float_type(d);
        int x = data_in(d, 0);
        const Shape& in = shape_of(x);
        const int64_t rank = int64_t(in.size());
        std::vector<int64_t> axes;
        for (int64_t v : ints_attr(d, "squeeze_dims", false)) {
            int64_t a = v < 0 ? v + rank : v;
            if (a < 0 || a >= rank) fail(d, "squeeze dim " + std::to_string(v) + " is out of range for " + shape_str(in));
            if (in[a] != 1)
                fail(d, "cannot squeeze dim " + std::to_string(v) + " of size " + std::to_string(in[a]));
            axes.push_back(a);
        }
        if (axes.empty())
            for (int64_t a = 0; a < rank; ++a)
                if (in[a] == 1) axes.push_back(a);
        std::sort(axes.begin(), axes.end());
        axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
        Shape out;
        for (int64_t a = 0; a < rank; ++a)
            if (!std::binary_search(axes.begin(), axes.end(), a)) out.push_back(in[a]);
        add(d, Op::Squeeze, {x}, out).axes = axes;
    }

    void convert_reshape(int d) {
        expect_inputs(d, 2);
        check_float_type(d);
        int x = data_in(d, 0);
        const Shape& in = shape_of(x);
        int s = in_[d][1].first;
        std::vector<int64_t> target;
        if (!is_const_[s] && def(s).op() == "Shape") {
            target = shape_of(g_.node(ir_[s]).inputs[0]);  // statically known
        } else {
            const ConstTensor& c = int_in(d, 1, "shape");
            if (c.shape.size() != 1) fail(d, "shape must be 1-D, got " + shape_str(c.shape));
            target = c.i;
        }
        if (int64_t(target.size()) > kMaxRank) fail(d, "target rank exceeds " + std::to_string(kMaxRank));
        int infer = -1;
        int64_t known = 1;
        for (size_t k = 0; k < target.size(); ++k) {
            if (target[k] == -1 && infer < 0) {
                infer = int(k);
                continue;
            }
            if (target[k] < 1 || target[k] > kMaxDim) fail(d, "invalid target shape " + ints_str(target));
            known = checked_mul(known, target[k], "reshape size");
        }
        const int64_t total = num_elements(in);
        if (infer >= 0) {
            if (total % known != 0) fail(d, "cannot reshape " + shape_str(in) + " to " + ints_str(target));
            target[infer] = total / known;
        } else if (known != total) {
            fail(d, "cannot reshape " + shape_str(in) + " to " + ints_str(target));
        }
        add(d, Op::Reshape, {x}, target);
    }

    void convert_matmul(int d) {
        expect_inputs(d, 2);
        check_float_type(d);
        if (bool_attr(d, "transpose_a", false)) fail(d, "transpose_a is not supported");
        int x = data_in(d, 0);
        const Shape& in = shape_of(x);
        if (in.size() != 2) fail(d, "expects a 2-D input, got " + shape_str(in));
        Tensor w = float_in(d, 1, "weights");
        if (w.shape.size() != 2) fail(d, "weights must be 2-D, got " + shape_str(w.shape));
        if (bool_attr(d, "transpose_b", false)) {  // [cout, cin] -> [cin, cout]
            const int64_t co = w.shape[0], ci = w.shape[1];
            std::vector<float> t(w.data.size());
            for (int64_t o = 0; o < co; ++o)
                for (int64_t i = 0; i < ci; ++i) t[i * co + o] = w.data[o * ci + i];
            w = Tensor{{ci, co}, std::move(t)};
        }
        if (w.shape[0] != in[1])
            fail(d, "weights " + shape_str(w.shape) + " have " + std::to_string(w.shape[0]) +
                        " input channels but the input " + shape_str(in) + " has " + std::to_string(in[1]));
        add(d, Op::FullyConnected, {x}, {in[0], w.shape[1]}).weights = std::move(w);
    }

    void convert_pad(int d) {
        expect_inputs(d, 2);
        check_float_type(d);
        int x = data_in4(d, 0);
        const ConstTensor& p = int_in(d, 1, "paddings");
        if (p.shape != Shape{4, 2}) fail(d, "paddings must be [4,2], got " + shape_str(p.shape));
        for (int64_t v : p.i)
            if (v < 0 || v > kMaxDim) fail(d, "paddings " + ints_str(p.i) + " out of range");
        if (p.i[0] || p.i[1] || p.i[6] || p.i[7]) fail(d, "only padding of H and W is supported, got " + ints_str(p.i));
        const Shape& in = shape_of(x);
        Node& n = add(d, Op::Pad, {x}, {in[0], in[1] + p.i[2] + p.i[3], in[2] + p.i[4] + p.i[5], in[3]});
        n.padding = Padding::Explicit;
        n.pad_top = int(p.i[2]), n.pad_bottom = int(p.i[3]);
        n.pad_left = int(p.i[4]), n.pad_right = int(p.i[5]);
    }
};

// Bad files are reported by our one-line mncc::Error, not by protobuf's
// stderr log (it logs e.g. invalid UTF-8 in names).
bool parse_quietly(tf::GraphDef& gd, const std::string& bytes) {
    google::protobuf::LogSilencer quiet;
    return gd.ParseFromString(bytes);
}

std::string read_model_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw Error(path + ": is a directory, not a model file");
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw Error(path + ": cannot read model file (" + ec.message() + ")");
    if (size > uint64_t(kMaxModelFileBytes))
        throw Error(path + ": file too large (" + std::to_string(size) + " bytes, limit " +
                    std::to_string(kMaxModelFileBytes) + ")");
    std::ifstream f(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (!f.good() && !f.eof()) throw Error(path + ": cannot read model file");
    return bytes;
}

}  // namespace

Graph parse_tf_graphdef(const std::string& bytes, const std::string& path, const FrontendOptions& opts) {
    const std::string file = where(path);
    if (bytes.empty()) throw Error(file + ": empty file");
    if (int64_t(bytes.size()) > kMaxModelFileBytes)
        throw Error(file + ": file too large (" + std::to_string(bytes.size()) + " bytes, limit " +
                    std::to_string(kMaxModelFileBytes) + ")");
    tf::GraphDef gd;
    if (!parse_quietly(gd, bytes))
        throw Error(file + ": not a valid TensorFlow GraphDef (truncated or corrupt protobuf)");
    return GraphDefReader(gd, path, opts).read();
}

Graph load_tf_graphdef(const std::string& path, const FrontendOptions& opts) {
    return parse_tf_graphdef(read_model_file(path), path, opts);
}

Graph load_model(const std::string& path, const FrontendOptions& opts) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    std::string bytes = read_model_file(path);
    if (ext == ".tflite" || looks_like_tflite(bytes)) return parse_tflite(bytes, path, opts);
    if (ext != ".pb") {
        // Other names: only what really is a GraphDef (has parseable nodes).
        tf::GraphDef gd;
        if (bytes.empty() || !parse_quietly(gd, bytes) || gd.node_size() == 0)
            throw Error(path + ": unknown model format (extension '" + ext +
                        "'); mncc reads TensorFlow frozen GraphDef files (.pb) and TFLite files (.tflite)");
    }
    return parse_tf_graphdef(bytes, path, opts);
}

}  // namespace mncc
