# Runs `mpirun -np 2 BINARY MODE` and passes when the job ends with a non-zero exit and its output contains
# EXPECT (the failing rank named). CTest's TIMEOUT bounds the whole thing: a hang fails the test.
execute_process(
  COMMAND ${MPIRUN} --allow-run-as-root --oversubscribe -np 2 ${BINARY} ${MODE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a non-zero exit of the job, got 0")
endif()
string(FIND "${out}${err}" "${EXPECT}" where)
if(where EQUAL -1)
  message(FATAL_ERROR "job exited with ${rc} but its output does not contain '${EXPECT}'")
endif()
message("ok: job exited with ${rc} and named the failure ('${EXPECT}')")
