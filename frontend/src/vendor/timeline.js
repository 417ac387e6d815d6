export * from "vis-timeline/standalone";
