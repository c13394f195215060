// embedlab engine — joining a data-parallel job on PyTorch's distributed engine (c10d).
//
// Launch like PyTorch: a process is rank RANK of WORLD_SIZE when torchrun's variables are set (RANK,
// WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), or by explicit options (the CLI's --world-size,
// --rank, --master ADDR:PORT). Rank 0 hosts c10d's TCPStore at the master address; every rank meets
// there, and the collectives run on c10d's ProcessGroupGloo (CPU tensors). CUDA jobs would need
// ProcessGroupNCCL, which Debian's LibTorch lacks: a CUDA device is refused with a message. Nothing
// here speaks TCP itself: the store and the process group are c10d's. SIGPIPE is ignored from the
// first join on (a dead peer is then an error, not a silent exit).
//
// Joining checks, each an Error(Runtime) (CLI exit 4) with a message that says what to do:
//   - the master's port is in use (rank 0), or the master is unreachable within the timeout;
//   - a rank whose world size differs from the master's;
//   - a rank number already taken by another process, or outside 0 … world size − 1 (BadInput);
//   - ranks that do not all arrive within the timeout (the message lists the missing ones).
// The same timeout bounds every collective afterwards: a rank that dies makes the others fail with
// an error (at once when its connections close, else when the timeout passes), never hang.
#pragma once

#include "engine/dist/collective.h"

#include <memory>
#include <optional>
#include <string>

namespace embedlab {

struct DistOptions {
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    double timeoutSeconds = 1800.0;  // the rendezvous and each collective (PyTorch's default, 30 min)
    std::string device = "cpu";     // the job's device: cpu → Gloo, cuda[:N] → NCCL
};

// torchrun's variables: nullopt when neither RANK nor WORLD_SIZE is set; Error(BadInput) when only
// one is, or a value is not a number in range. MASTER_ADDR defaults to 127.0.0.1, MASTER_PORT to 29500,
// LOCAL_RANK to RANK; EMBEDLAB_DIST_TIMEOUT (seconds) sets the timeout.
std::optional<DistOptions> distOptionsFromEnvironment();

// "ADDR:PORT" (the CLI's --master); the port is required. Error(BadInput) otherwise.
void parseMasterAddress(const std::string& text, DistOptions& options);

// Joins the job (blocks until every rank has arrived). The returned group lives as long as the job;
// rank 0's also hosts the store: a job ends with a barrier before rank 0 lets it go.
std::unique_ptr<Collective> joinProcessGroup(const DistOptions& options);

}  // namespace embedlab
