//! Social resources in the demo: the towns' reserve funds (备用金) for emergency aid, donors of
//! every kind with their offers, one need matched with consent and delivered, an emergency appeal
//! part-funded, a volunteer's weekly visits (one week missed), a purchased-services contract, and
//! two power-dependent households linked to the grid's demo zone with a station alarm, all in the
//! demo users' own district.

use minsheng_store::regions::RegionRow;
use minsheng_store::resources::Entry;
use minsheng_store::users;

use crate::demo::DemoHousehold;
use crate::resources::{
    AppealInput, AssignmentInput, ContractInput, DeliveryInput, MatchInput, OfferInput,
    ProviderInput, VisitInput,
};
use crate::{Actor, App, AppError, AppResult, reader};

const BANAN: &str = "500113000000";
/// A town's reserve fund at the start of the demo year.
const DEMO_FUND_YUAN: f64 = 50_000.0;

impl App {
    pub(crate) async fn create_demo_resources(
        &self,
        made: &[DemoHousehold],
        focus: &RegionRow,
    ) -> AppResult<()> {
        let actor = Actor::command_line(self.everything().await?);
        // Each town with demo households starts the year with its reserve fund, so emergency aid
        // can be paid the day a case opens.
        let mut towns: Vec<i64> = made.iter().map(|h| h.region_code / 1000 * 1000).collect();
        towns.sort_unstable();
        towns.dedup();
        for town in towns {
            self.top_up_fund(
                &actor,
                &town.to_string(),
                DEMO_FUND_YUAN,
                "年度临时救助备用金",
            )
            .await?;
        }
        let mut in_focus = made.iter().filter(|h| h.region_code == focus.code);
        let (Some(matched), Some(appealed), Some(visited)) =
            (in_focus.next(), in_focus.next(), in_focus.next())
        else {
            return Ok(());
        };
        let unit = |name: &'static str| async move {
            users::unit_by_name(&mut reader(self), name)
                .await?
                .map(|u| u.id)
                .ok_or_else(|| AppError::Internal(format!("demo unit {name} is missing")))
        };
        let charity_unit = unit("重庆市慈善总会").await?;
        let social_work = unit("巴南区启航社会工作服务中心").await?;
        let focus_code = focus.code.to_string();
        let provider = |name: &str, kind: &str, region: &str, unit_id: Option<i64>| {
            let input = ProviderInput {
                name: name.into(),
                kind: kind.into(),
                region: region.into(),
                contact: String::new(),
                unit_id,
            };
            let actor = &actor;
            async move { self.register_provider(actor, &input).await }
        };
        let charity = provider(
            "重庆市慈善总会",
            "charity",
            "500000000000",
            Some(charity_unit),
        )
        .await?;
        let company = provider("巴南区爱心粮油有限公司", "company", BANAN, None).await?;
        let person = provider("李女士（退休教师）", "individual", &focus_code, None).await?;
        let shop = provider("社区爱心超市", "caring_unit", &focus_code, None).await?;
        let offer = |provider_id, kind: &str, what: &str, region: &str, capacity, unit: &str| {
            let input = OfferInput {
                provider_id,
                kind: kind.into(),
                what: what.into(),
                description: String::new(),
                region: region.into(),
                capacity,
                unit: unit.into(),
                valid_until: None,
            };
            let actor = &actor;
            async move { self.add_offer(actor, &input).await }
        };
        let grain = offer(company, "goods", "米面油爱心礼包", BANAN, 300.0, "items").await?;
        offer(charity, "money", "助学金", BANAN, 50_000.0, "yuan").await?;
        offer(
            charity,
            "service",
            "居家照护上门服务",
            BANAN,
            200.0,
            "visits",
        )
        .await?;
        offer(person, "service", "课业辅导", &focus_code, 100.0, "hours").await?;
        offer(
            shop,
            "job",
            "爱心超市勤工俭学岗位",
            &focus_code,
            2.0,
            "places",
        )
        .await?;

        let today = self.today();
        let day = |back: i64| (today - time::Duration::days(back)).to_string();
        let matched_id = self
            .match_offer(
                &actor,
                &MatchInput {
                    offer_id: grain,
                    household_id: matched.id,
                    need: "不符合救助条件但需帮扶：冬季生活物资".into(),
                    quantity: 2.0,
                    consent_by: "户主本人".into(),
                },
            )
            .await?;
        self.record_delivery(
            &actor,
            matched_id,
            &DeliveryInput {
                what: "米面油爱心礼包 2 份".into(),
                value_yuan: 336.0,
                delivered_on: day(3),
                delivered_by: "巴南区爱心粮油有限公司 志愿者".into(),
                feedback: "感谢社区和爱心企业".into(),
            },
        )
        .await?;

        let appeal = self
            .open_appeal(
                &actor,
                &AppealInput {
                    household_id: appealed.id,
                    title: "突发火灾家庭重建急难众筹".into(),
                    target_yuan: 20_000.0,
                    ends_on: day(-30),
                    surplus_rule: "超出目标的善款转入镇街临时救助备用金，公示后使用".into(),
                },
            )
            .await?;
        for (entry, amount) in [
            (Entry::Pledge, 12_000.0),
            (Entry::Receipt, 8_000.0),
            (Entry::Disbursement, 5_000.0),
        ] {
            let donor = (entry != Entry::Disbursement).then_some(charity);
            self.appeal_entry(&actor, appeal, entry, donor, amount, "")
                .await?;
        }

        let assignment = self
            .assign_volunteer(
                &actor,
                &AssignmentInput {
                    household_id: visited.id,
                    volunteer: "王阿姨（互助养老志愿者）".into(),
                    service: "探访、陪伴、代购".into(),
                    every_days: 7,
                    starts_on: day(28),
                    ends_on: None,
                    stipend_yuan: Some(20.0),
                    stipend_payer: "村（居）民委员会".into(),
                },
            )
            .await?;
        // Weeks one, two and four visited; week three missed.
        for back in [27, 20, 5] {
            let visit = VisitInput {
                visited_on: day(back),
                hours: 1.5,
                note: String::new(),
            };
            self.record_volunteer_visit(&actor, assignment, &visit)
                .await?;
        }

        let year = today.year();
        self.create_contract(
            &actor,
            &ContractInput {
                unit_id: social_work,
                name: format!("{year}年巴南区困难群众社会工作服务项目"),
                region: BANAN.into(),
                budget_yuan: 200_000.0,
                starts_on: format!("{year}-01-01"),
                ends_on: format!("{year}-12-31"),
                deliverables: vec![("service_visits".into(), 120)],
                milestones: vec![
                    ("首期款".into(), 60_000.0, 0.0),
                    ("中期款".into(), 80_000.0, 0.5),
                    ("尾款".into(), 60_000.0, 1.0),
                ],
            },
        )
        .await?;
        // Two households that live on power (home dialysis, oxygen) linked to the demo zone's
        // loads with their consent, and a station too hot: the grid's flows have something to
        // show the operator and the community.
        let network = self.install_demo_network().await?;
        for (household, load, need, consent) in [
            (in_focus.next(), "D-P2", "家庭血液透析机", "户主本人"),
            (in_focus.next(), "D-P3", "家用制氧机", "户主之女（监护人）"),
        ] {
            let Some(household) = household else { break };
            self.link_power_dependent(
                &actor,
                &crate::grid::LinkRequest {
                    network_id: network,
                    load_id: load.into(),
                    household_id: household.id,
                    consent_by: consent.into(),
                    need: need.into(),
                },
            )
            .await?;
        }
        self.record_readings(
            &actor,
            network,
            &[crate::grid::ReadingIn {
                sensor: "K1-T".into(),
                at: None,
                value: 46.5,
                source: Some("robot".into()),
            }],
        )
        .await?;
        Ok(())
    }
}
