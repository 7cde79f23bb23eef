#include "passes/plan_memory.h"

#include <algorithm>

#include "support/error.h"

namespace mncc {
namespace {

// Bytes of a node's activation: uint8/int8 tensors take one byte per element.
int64_t aligned_bytes(const Node& n) {
    int64_t bytes = checked_mul(num_elements(n.shape), dtype_bytes(n.dtype), "activation size");
    return checked_add(bytes, kArenaAlignment - 1, "activation size") / kArenaAlignment * kArenaAlignment;
}

struct Block {
    int64_t begin, end;
};

// Lowest (or highest, when `from_top`) 64-aligned offset in [0, cap) where
// `size` bytes avoid every block in `used`; -1 if there is none.
int64_t find_gap(std::vector<Block> used, int64_t size, int64_t cap, bool from_top) {
    std::sort(used.begin(), used.end(), [](const Block& a, const Block& b) { return a.begin < b.begin; });
    std::vector<Block> gaps;
    int64_t at = 0;
    for (const Block& b : used) {
        if (b.begin > at) gaps.push_back({at, b.begin});
        at = std::max(at, b.end);
    }
    if (cap > at) gaps.push_back({at, cap});
    if (from_top) std::reverse(gaps.begin(), gaps.end());
    for (const Block& gap : gaps)
        if (gap.end - gap.begin >= size) return from_top ? gap.end - size : gap.begin;
    return -1;
}

}  // namespace

void plan_memory(Graph& g) {
    const std::vector<int> order = g.topo_order();
    const int64_t n = static_cast<int64_t>(g.nodes.size());
    std::vector<int> root(n, -1);         // the node owning the storage a node's value lives in
    std::vector<int64_t> step(n, -1), last_use(n, -1), bytes(n, 0);
    for (size_t i = 0; i < order.size(); ++i) {
        const Node& node = g.node(order[i]);
        step[node.id] = static_cast<int64_t>(i);
        root[node.id] = node.op == Op::Reshape ? root[node.inputs.at(0)] : node.id;
        bytes[node.id] = aligned_bytes(node);
        last_use[root[node.id]] = static_cast<int64_t>(i);
        for (int in : node.inputs) last_use[root[in]] = static_cast<int64_t>(i);
    }
    last_use[root[g.output]] = static_cast<int64_t>(order.size());  // the caller reads it after the run

    // Lower bound: a layer reads its input while writing its output.
    g.arena_lower_bound = 0;
    for (int id : order) {
        const Node& node = g.node(id);
        int64_t need = bytes[id];
        if (node.op == Op::Reshape) continue;
        for (int in : node.inputs) need = checked_add(need, bytes[in], "arena size");
        g.arena_lower_bound = std::max(g.arena_lower_bound, need);
    }

    g.arena_offset.assign(n, -1);
    g.arena_bytes = 0;
    std::vector<int> live;  // roots currently holding data
    for (int id : order) {
        const Node& node = g.node(id);
        const int64_t i = step[id];
        live.erase(std::remove_if(live.begin(), live.end(), [&](int r) { return last_use[r] < i; }), live.end());
        if (node.op == Op::Reshape) {
            g.arena_offset[id] = g.arena_offset[root[id]];
            continue;
        }
        std::vector<Block> used;
        for (int r : live) used.push_back({g.arena_offset[r], g.arena_offset[r] + bytes[r]});
        // Ping-pong: go to the end opposite the data input.
        bool from_top = false;
        if (!node.inputs.empty()) {
            int64_t in_mid = g.arena_offset[root[node.inputs[0]]] + bytes[root[node.inputs[0]]] / 2;
            from_top = in_mid * 2 < std::max(g.arena_bytes, g.arena_lower_bound);
        }
        int64_t cap = std::max(g.arena_bytes, g.arena_lower_bound);
        int64_t at = find_gap(used, bytes[id], cap, from_top);
        if (at < 0) {  // nothing fits: grow the arena past every live block
            at = 0;
            for (const Block& b : used) at = std::max(at, b.end);
        }
        g.arena_offset[id] = at;
        g.arena_bytes = std::max(g.arena_bytes, checked_add(at, bytes[id], "arena size"));
        live.push_back(id);
    }
}

}  // namespace mncc
