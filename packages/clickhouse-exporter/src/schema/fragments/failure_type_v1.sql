-- Failure type a failed step of each type is given (SDK STEP_FAILURE_TYPE).
multiIf(step_type = 'tool', 'tool', step_type = 'model', 'model', step_type = 'retrieve', 'retrieval', 'orchestration')
