/**
 * The messages of the elastic-scaling RPCs of JobManagerService (proto/fluss.proto:
 * GetJobResourceRequirements, UpdateJobResourceRequirements), as grpc-js delivers them.
 */

/** `JobResourceRequirements`: Flink's JSON shape of per-vertex parallelism bounds. */
export interface JobResourceRequirementsMessage {
  requirementsJson: string;
}

/** `UpdateJobResourceRequirementsRequest`. */
export interface UpdateJobResourceRequirementsRequest {
  jobId: string;
  /** Bounds to merge (Flink's JSON shape); empty when `parallelism` is set. */
  requirementsJson: string;
  /** > 0: every vertex at exactly this parallelism (`fluss rescale -p N`). */
  parallelism: number;
}

/** `UpdateJobResourceRequirementsResponse`. */
export interface UpdateJobResourceRequirementsResponse {
  /** `{"<vertexId>": parallelism}` after the request. */
  parallelismJson: string;
  /** False when the job already ran at that parallelism. */
  rescaled: boolean;
}
