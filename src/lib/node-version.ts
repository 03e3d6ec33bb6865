// A guard for entry points: the system Node on many machines is older than the one this project needs.
export function assertSupportedNode(minMajor = 22): void {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < minMajor) {
    process.stderr.write(
      `agh needs Node ${minMajor} or newer, but this is Node ${process.versions.node}.\n` +
        'Run it through npm (npm start, npm test) or bin/agh, which use the Node from node_modules.\n',
    );
    process.exit(1);
  }
}
