// embedlab app — a data-parallel job of N local ranks, started from the app and followed as one job.
//
// The app does not host ranks in its own process: it runs `embedlab-cli launch --nproc N -- COMMAND
// --progress json` (the CLI's own launcher, app/cli/cmd_launch.cpp: torchrun's variables for each
// rank, c10d's TCPStore and ProcessGroupGloo on 127.0.0.1), so a rank that fails cannot take the app
// or its session with it, and the job is exactly what `embedlab-cli launch` runs. Every rank prints
// its progress as JSON lines tagged with its rank; this follows them all:
//   - the job's fraction is the slowest rank's, its message rank 0's, with the rank count and which
//     rank lags when they differ by more than 1%;
//   - rank 0's metric points and log lines become the job's (the other ranks' duplicate them);
//   - pause and the scheduler's hold stop every process of the job (SIGSTOP to the launcher's process
//     group, from a watcher thread, so even while report() waits; SIGCONT goes on); cancel ends them
//     all (SIGTERM to the group, SIGKILL after 15 s); the launcher is killed if the app dies;
//   - the ranks' collective timeout is a day (--dist-timeout 86400): a stopped job must not count as a
//     dead peer, and the launcher ends the job when a rank dies;
//   - a failure is the ranks' and the launcher's "error: …" lines (each said once), bad input (exit
//     2/3) kept apart from run-time errors (exit 4).
// Torch-free header; POSIX only (the launcher forks).
#pragma once

#include "engine/jobs/progress.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace embedlab {

// The embedlab-cli program the app starts: $EMBEDLAB_CLI when set, else the one installed beside the
// application. Error(Runtime) when neither exists.
QString embedlabCliProgram();

// Runs `embedlab-cli launch --nproc ranks -- command… --progress json` and follows it as described
// above. Returns rank 0's JSON result (the command's stdout); throws Error(Cancelled), Error(BadInput)
// or Error(Runtime) as said.
QJsonObject runLocalRanks(const QStringList& command, int ranks, Progress& progress);

}  // namespace embedlab
