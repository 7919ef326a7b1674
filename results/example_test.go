package results_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/loadlab/loadlab/results"
)

// A sweep runner opens its store, skips the points already stored and
// appends the others; reopened after a crash, the store holds every point
// that Append accepted.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "results")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	for run := 1; run <= 2; run++ {
		s, err := results.Open(dir)
		if err != nil {
			log.Fatal(err)
		}
		for _, key := range []string{"p1", "p2", "p3"} {
			if s.Has(key) {
				continue // done by an earlier run
			}
			fmt.Printf("run %d: running %s\n", run, key)
			if err := s.Append(results.Record{Point: results.Point{Key: key}}); err != nil {
				log.Fatal(err)
			}
			if run == 1 && key == "p2" {
				break // as if the sweep had been killed here
			}
		}
		fmt.Printf("run %d: %d records stored\n", run, s.Len())
		s.Close()
	}
	// Output:
	// run 1: running p1
	// run 1: running p2
	// run 1: 2 records stored
	// run 2: running p3
	// run 2: 3 records stored
}

func ExampleWriteCSV() {
	recs := []results.Record{{
		Point: results.Point{
			Key: "3f2a", Policy: "sender.threshold", Dispatch: "random",
			Migrate: "sender.threshold(T=2, probes=3)", Workload: "mm1",
			Arrival: "poisson", Size: "exp(1)", Load: 0.9, Nodes: 16, Servers: 1,
			Discipline: "fcfs", Jobs: 100000, Warmup: 10000, Seed: 42, Backend: "sim",
			Costs: "zero",
		},
		Result: results.Result{
			MeanResponse: 2.75, P50Response: 1.9, P95Response: 8.25, P99Response: 12.5,
			Batches: 30, CI95HalfWidth: 0.04, Utilization: 0.9,
			NodeUtilization: []float64{0.85, 0.93},
		},
		Env: results.Env{Start: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), Seconds: 1.5},
	}}
	if err := results.WriteCSV(os.Stdout, recs); err != nil {
		log.Fatal(err)
	}
	// Output:
	// key,spec,policy,dispatch,migrate,workload,arrival,size,size_mean,size_scv,speeds,distances,load,nodes,servers,queue,power_model,elastic,scale,discipline,server,client,admit,tasks,front,response,cache,hit,state,topology,regions,tiers,jobs,warmup,warm_start,replication,seed,backend,costs,gossip,gossip_mode,time_unit,kernel,dispatchers,units,platforms,faults,axis,x,mean_response,p50_response,p95_response,p99_response,p999_response,ci95_halfwidth,batches,mean_wait,mean_cpu,mean_io,mean_slowdown,mean_size,jobs_issued,jobs_completed,jobs_failed,jobs_measured,steady_from,steady_found,transient_bias,throughput,mean_in_system,wait_while_idle,arrival_rate,migrations,preemptions,probes,messages,bytes_moved,migrations_per_job,probes_per_job,bytes_per_job,copies,copies_per_job,retries,retries_per_job,cancels,wasted_work,goodput,task_mean_response,task_p99_response,code_bytes,state_bytes,resource_bytes,mean_migration_time,mean_downtime,code_hit_rate,refused_moves,redirected_jobs,code_hit_bin,remote_uses,utilization,node_util_min,node_util_max,tlp,threads,front_utilization,front_time,cache_hit_rate,state_returning,energy,power,energy_per_job,client_energy,asleep,wakeups,state_affinity,state_lost,node_seconds,join_time,gossip_age,gossip_age_p50,gossip_age_p99,probe_rtt,probe_rtt_p50,probe_rtt_p99,transfer_rtt_p50,transfer_rtt_p99,schedule_lag_p99,dispatch_delay,failures,process_cpu,cpu_seconds,rapl_joules,service_error,emulation_lag_p99,serf_health,server_costs,detection_time,transfer_fails,response_bin,sim_time,events,start,seconds
	// 3f2a,,sender.threshold,random,"sender.threshold(T=2, probes=3)",mm1,poisson,exp(1),0,0,,,0.9,16,1,0,,,,fcfs,,,,0,,,,,,,,,100000,10000,,0,"42",sim,zero,0,,,,0,,,,,,2.75,1.9,8.25,12.5,0,0.04,30,0,0,0,0,0,0,0,0,0,0,false,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0.9,0.85,0.93,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,0,0,0,0,0,0,,0,0,0,0,0,2025-03-01T12:00:00Z,1.5
}
