// libFuzzer target, structure-aware: the input is a list of edits applied to
// a small valid `mncc synth` MobileNet (alpha 0.25, 16x16, 10 classes), so
// most executions get past the protobuf parser and exercise shape inference,
// the passes and the interpreter on almost-valid graphs. Edits: change an
// op, rewire an input, set list/int/string/bool/type attributes, resize a
// tensor or shape dimension, poke a weight, drop or duplicate a node.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "frontend/synth.h"
#include "fuzz_pipeline.h"
#include "proto/tensorflow_graph.pb.h"

namespace {

namespace tf = tensorflow;

const tf::GraphDef& base() {
    static const tf::GraphDef gd = [] {
        mncc::SynthOptions o;
        o.alpha = 0.25;
        o.resolution = 16;
        o.classes = 10;
        tf::GraphDef g;
        g.ParseFromString(mncc::synth_tf_graphdef(o));
        return g;
    }();
    return gd;
}

int64_t interesting_int(FuzzedDataProvider& p) {
    static const int64_t values[] = {0, 1, 2, 3, 4, 5, 7, 8, 10, 16, 31, 32, 33, 100, -1, -2, 1 << 20,
                                     (1 << 20) + 1, int64_t(1) << 31, int64_t(1) << 32, int64_t(1) << 62,
                                     std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
    if (p.ConsumeBool()) return p.PickValueInArray(values);
    return p.ConsumeIntegralInRange<int64_t>(-4, 300);
}

void edit(tf::GraphDef& gd, FuzzedDataProvider& p) {
    if (gd.node_size() == 0) return;
    tf::NodeDef& n = *gd.mutable_node(p.ConsumeIntegralInRange<int>(0, gd.node_size() - 1));
    auto& attrs = *n.mutable_attr();
    static const char* ops[] = {"Placeholder", "Const", "Identity", "Conv2D", "DepthwiseConv2dNative", "BiasAdd",
                                "FusedBatchNorm", "FusedBatchNormV3", "Mul", "Add", "AddV2", "Relu", "Relu6",
                                "AvgPool", "Mean", "Squeeze", "Reshape", "Shape", "Softmax", "MatMul", "Pad"};
    static const char* keys[] = {"strides", "ksize", "dilations", "squeeze_dims", "padding", "data_format",
                                 "is_training", "epsilon", "T", "dtype", "keep_dims", "transpose_a",
                                 "transpose_b", "shape", "value"};
    switch (p.ConsumeIntegralInRange<int>(0, 9)) {
        case 0: n.set_op(p.PickValueInArray(ops)); break;
        case 1: {  // rewire an input to another node (maybe a port or a control input)
            std::string ref = gd.node(p.ConsumeIntegralInRange<int>(0, gd.node_size() - 1)).name();
            int kind = p.ConsumeIntegralInRange<int>(0, 5);
            if (kind == 0) ref += ":1";
            if (kind == 1) ref = "^" + ref;
            if (n.input_size() == 0 || p.ConsumeBool()) n.add_input(ref);
            else n.set_input(p.ConsumeIntegralInRange<int>(0, n.input_size() - 1), ref);
            break;
        }
        case 2: {  // a list(int) attribute entry
            auto* l = attrs[p.PickValueInArray(keys)].mutable_list();
            if (l->i_size() == 0 || p.ConsumeBool()) l->add_i(interesting_int(p));
            else l->set_i(p.ConsumeIntegralInRange<int>(0, l->i_size() - 1), interesting_int(p));
            break;
        }
        case 3: {  // a scalar attribute of some type
            tf::AttrValue& a = attrs[p.PickValueInArray(keys)];
            switch (p.ConsumeIntegralInRange<int>(0, 4)) {
                case 0: a.set_s(p.PickValueInArray({"SAME", "VALID", "EXPLICIT", "NCHW", "NHWC", ""})); break;
                case 1: a.set_b(p.ConsumeBool()); break;
                case 2: a.set_f(p.PickValueInArray({0.0f, -1.0f, 1e-3f, 1e30f, std::nanf("")})); break;
                case 3: a.set_type(tf::DataType(p.ConsumeIntegralInRange<int>(0, 20))); break;
                default: a.set_i(interesting_int(p)); break;
            }
            break;
        }
        case 4: {  // a dimension of the Placeholder shape or of a constant
            tf::TensorShapeProto* s = attrs.count("shape") ? attrs["shape"].mutable_shape()
                                    : attrs.count("value") ? attrs["value"].mutable_tensor()->mutable_tensor_shape()
                                                           : nullptr;
            if (!s) break;
            if (s->dim_size() == 0 || p.ConsumeIntegralInRange<int>(0, 4) == 0) s->add_dim()->set_size(interesting_int(p));
            else if (p.ConsumeIntegralInRange<int>(0, 4) == 0) s->mutable_dim()->RemoveLast();
            else s->mutable_dim(p.ConsumeIntegralInRange<int>(0, s->dim_size() - 1))->set_size(interesting_int(p));
            break;
        }
        case 5: {  // a constant's bytes: one value, or the length
            if (!attrs.count("value")) break;
            std::string& c = *attrs["value"].mutable_tensor()->mutable_tensor_content();
            if (c.size() >= 4 && p.ConsumeBool()) {
                float v = p.PickValueInArray({0.0f, -1.0f, 1e38f, -1e-40f, std::nanf(""),
                                              std::numeric_limits<float>::infinity()});
                uint32_t u;
                std::memcpy(&u, &v, 4);
                if (p.ConsumeBool()) u = p.ConsumeIntegral<uint32_t>();  // e.g. an int32 shape entry
                std::memcpy(&c[4 * p.ConsumeIntegralInRange<size_t>(0, c.size() / 4 - 1)], &u, 4);
            } else {
                c.resize(p.ConsumeIntegralInRange<size_t>(0, c.size() + 8));
            }
            break;
        }
        case 6: {  // a splat or value-list constant instead of tensor_content
            if (!attrs.count("value")) break;
            tf::TensorProto* t = attrs["value"].mutable_tensor();
            t->clear_tensor_content();
            for (int k = p.ConsumeIntegralInRange<int>(0, 3); k > 0; --k) {
                t->add_float_val(float(interesting_int(p)));
                t->add_int_val(int32_t(interesting_int(p)));
            }
            break;
        }
        case 7: gd.mutable_node()->SwapElements(0, gd.node_size() - 1), gd.mutable_node()->RemoveLast(); break;
        case 8: *gd.add_node() = n; break;  // duplicate (same name, unless renamed next)
        default: n.set_name(n.name() + std::to_string(p.ConsumeIntegralInRange<int>(0, 3))); break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider p(data, size);
    tf::GraphDef gd = base();
    for (int k = 0; k < 16 && p.remaining_bytes() > 0; ++k) edit(gd, p);
    mncc_fuzz::run_pipeline(gd.SerializeAsString());
    return 0;
}
