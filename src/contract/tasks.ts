// The task kernel's wire shapes, in four files by subject; importers take them from here.
export * from './task-shapes.ts';
export * from './task-run-shapes.ts';
export * from './task-requests.ts';
export * from './task-bundle.ts';
