// The Lethe Pulumi program: read and validate the stack's settings once, build the stack, export
// what a reviewer of `pulumi preview` needs to see: exactly the outputs createLethe returns (typed by
// runtime/contracts/stack.ts; each function's under the output the table of functions gives it).
import { readLetheConfig } from "./config";
import { createLethe } from "./lethe";

const lethe = createLethe(readLetheConfig());

export = lethe.outputs;
