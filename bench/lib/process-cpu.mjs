// Process CPU accounting from /proc: the CPU time a server spent (user +
// system, all threads), read before and after each measurement. A process
// tree counts its reaped children too (cutime/cstime), so short-lived workers
// or database backends are not lost between two readings.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

let ticksPerSecond;
const clockTicks = () => (ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100);

/** pid, comm, ppid, pgrp and CPU ticks of one process; undefined once it is gone. */
function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid pgrp ...; comm may hold spaces, so split after the last ")".
    const fields = text.slice(text.lastIndexOf(") ") + 2).split(" ");
    return {
      pid: Number(pid),
      comm: text.slice(text.indexOf("(") + 1, text.lastIndexOf(")")),
      state: fields[0],
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      // utime stime cutime cstime are fields 14-17 of the whole line.
      ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined;
  }
}

function allProcesses() {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(stat)
    .filter(Boolean);
}

/** The processes of these trees (roots included). */
export function processTrees(rootPids) {
  const processes = allProcesses();
  const members = new Set(rootPids.map(Number));
  for (let grew = true; grew; ) {
    grew = false;
    for (const process of processes)
      if (!members.has(process.pid) && members.has(process.ppid)) {
        members.add(process.pid);
        grew = true;
      }
  }
  return processes.filter((process) => members.has(process.pid));
}

/** CPU seconds spent so far by these process trees. */
export function treeCpuSeconds(rootPids) {
  return processTrees(rootPids).reduce((sum, process) => sum + process.ticks, 0) / clockTicks();
}

/** Resident memory of these processes now, in bytes (VmRSS; 0 for one that is gone). */
export function residentBytes(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      total += Number(kb ?? 0) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}

/** Processes of a process group with this command name (zombies left out). */
export function groupProcesses(pgid, comm) {
  return allProcesses().filter((process) => process.pgrp === pgid && process.comm === comm && process.state !== "Z");
}

/** Whether any process of the group still runs (zombies, which hold no files, do not count). */
export const groupAlive = (pgid) => allProcesses().some((process) => process.pgrp === pgid && process.state !== "Z");
