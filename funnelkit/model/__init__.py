"""One plan and every figure its reports and tools show, computed once: the plan with its
data (`loader`), the pipeline coverage of what is left of its goal, and the named figures
(`figures`) that sections, the command line and the explorers read instead of recomputing.

May import every layer below (core, plan, crm, actuals, goals, forecast); only `present` and
`cli` import it."""
