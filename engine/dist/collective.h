// embedlab engine — what a data-parallel job needs from its process group, and nothing else.
//
// The trainer and the corpus embedding take a `Collective*` (null: one process) and never see how
// it is made; engine/dist/process_group.h makes one on PyTorch's distributed engine (c10d: a TCPStore
// rendezvous, Gloo on the CPU, NCCL on CUDA). Every call is collective unless it says otherwise:
// every rank makes the same calls in the same order, and a call returns only when the others have
// made theirs (or throws Error(Runtime) when one of them died or the timeout passed).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace embedlab {

class Collective {
public:
    enum class Op { Sum, Min, Max };

    virtual ~Collective() = default;
    virtual int rank() const = 0;
    virtual int worldSize() const = 0;
    bool isRoot() const { return rank() == 0; }

    // In place, on every rank: the element-wise reduction of every rank's `tensor` (same shape and
    // dtype everywhere; contiguous).
    virtual void allReduce(at::Tensor& tensor, Op op = Op::Sum) = 0;
    // Point to point (only the two ranks call them): `tensor` goes to rank `to`; `tensor` (its shape
    // and dtype known to the receiver) is filled from rank `from`.
    virtual void send(const at::Tensor& tensor, int to) = 0;
    virtual void recv(at::Tensor& tensor, int from) = 0;
    // Returns when every rank has called it.
    virtual void barrier() = 0;

    // The reduction of one number: sum (or min, max) over the ranks, in float64.
    double allReduceScalar(double value, Op op = Op::Sum);
    // Throws Error(BadInput) on every rank unless every rank passed the same value: what a job checks
    // at its start (the model, the data, the options), `what` naming it in the message.
    void requireSame(uint64_t checksum, const char* what);
};

}  // namespace embedlab
